// The portal's behaviour in the browser (the Content-Security-Policy allows no inline script): every page loads this
// file, and each part below acts only where its elements are on the page. Everything works without it.
(function () {
  'use strict';

  // The queue: "select all on this page" and the count of ticked tickets for the bulk action.
  function bulkSelection() {
    var all = document.getElementById('select-all');
    var picked = document.getElementById('picked');
    if (!all || !picked) { return; }
    var boxes = document.querySelectorAll('input[form=bulk][name=numbers]');
    function count() {
      picked.textContent = Array.prototype.filter.call(boxes, function (b) { return b.checked; }).length;
    }
    all.addEventListener('change', function () {
      boxes.forEach(function (b) { b.checked = all.checked; });
      count();
    });
    boxes.forEach(function (b) { b.addEventListener('change', count); });
    count();
  }

  // The ticket page: a canned reply button fills its form's reply box.
  function cannedReplies() {
    document.querySelectorAll('button[data-reply]').forEach(function (button) {
      button.addEventListener('click', function () {
        var box = button.closest('form').querySelector('textarea[name=reply]');
        if (box) { box.value = button.dataset.reply; }
      });
    });
  }

  document.addEventListener('DOMContentLoaded', function () {
    bulkSelection();
    cannedReplies();
  });
})();
