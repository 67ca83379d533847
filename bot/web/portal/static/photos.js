/* Photos chosen on the ticket page: a phone's camera photo is made smaller in the browser before it is sent, so
   that a step's photos arrive in seconds on a mobile connection.

   The photo's EXIF (where and when it was taken: the evidence HQ checks at 核查) is carried over unchanged into the
   smaller JPEG, except its orientation, set to "upright" because the browser has already turned the pixels. The
   server reads GPS and time from the file it receives, as it does for residents' photos; no form field carries
   them. Where the browser cannot decode a photo (HEIC in most browsers, a broken file) or has no canvas, the
   original goes as it is and the server judges it. Sizes and counts are checked before sending, so an over-limit
   choice is said here in Chinese and nothing typed is lost. */
(function () {
  'use strict';

  var JPEG_QUALITY = 0.85;
  var SHRINK_ABOVE = 1024 * 1024;   // a smaller file goes as it is (and the form at once): a camera photo never is

  function exifSegment(buffer) {
    /* The original JPEG's APP1 "Exif" segment (marker and length included), or null. */
    var view = new DataView(buffer);
    if (view.byteLength < 4 || view.getUint16(0) !== 0xFFD8) return null;
    var offset = 2;
    while (offset + 4 <= view.byteLength) {
      var marker = view.getUint16(offset);
      if ((marker & 0xFF00) !== 0xFF00 || marker === 0xFFDA) return null;   // image data: no EXIF before it
      var length = view.getUint16(offset + 2);
      if (marker === 0xFFE1 && offset + 10 <= view.byteLength && view.getUint32(offset + 4) === 0x45786966) {
        return new Uint8Array(buffer.slice(offset, offset + 2 + length));
      }
      offset += 2 + length;
    }
    return null;
  }

  function markUpright(segment) {
    /* Set the copied EXIF's orientation (tag 0x0112 in the first IFD) to 1: the drawn pixels are upright. */
    var view = new DataView(segment.buffer, segment.byteOffset, segment.byteLength);
    var tiff = 10;   // FFE1, length, "Exif\0\0"
    if (view.byteLength < tiff + 8) return;
    var little = view.getUint16(tiff) === 0x4949;
    var ifd = tiff + view.getUint32(tiff + 4, little);
    if (ifd + 2 > view.byteLength) return;
    var count = view.getUint16(ifd, little);
    for (var i = 0; i < count; i++) {
      var entry = ifd + 2 + i * 12;
      if (entry + 12 > view.byteLength) return;
      if (view.getUint16(entry, little) === 0x0112) {
        view.setUint16(entry + 8, 1, little);
        return;
      }
    }
  }

  function smaller(file, maxSide) {
    /* The photo as a JPEG no longer than maxSide on either side, with the original's EXIF; or null. */
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, maxSide / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement('canvas');
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      if (bitmap.close) bitmap.close();
      return Promise.all([
        new Promise(function (resolve) { canvas.toBlob(resolve, 'image/jpeg', JPEG_QUALITY); }),
        file.arrayBuffer()
      ]);
    }).then(function (results) {
      var blob = results[0];
      if (!blob) return null;
      var exif = exifSegment(results[1]);
      var parts = [blob];
      if (exif) {
        markUpright(exif);
        parts = [blob.slice(0, 2), exif, blob.slice(2)];   // right after the JPEG's start marker
      }
      var name = (file.name || 'photo').replace(/\.[^.]*$/, '') + '.jpg';
      return new File(parts, name, {type: 'image/jpeg', lastModified: file.lastModified});
    }).catch(function () { return null; });
  }

  function prepared(file, input) {
    /* What to send for one chosen file: a smaller JPEG when that keeps the evidence or is needed to fit. */
    var maxSide = Number(input.dataset.maxSide), photoLimit = Number(input.dataset.photoLimit);
    var isJpeg = /^image\/jpe?g$/i.test(file.type) || /\.jpe?g$/i.test(file.name);
    if (file.size <= SHRINK_ABOVE || (!isJpeg && file.size <= photoLimit)) {
      return Promise.resolve(file);   // small already; or PNG, WebP, HEIC sent whole for the server to read their EXIF
    }
    return smaller(file, maxSide).then(function (small) {
      return small && small.size < file.size ? small : file;
    });
  }

  function megabytes(bytes) {
    return (bytes / 1048576).toFixed(1).replace(/\.0$/, '');
  }

  function problem(files, input) {
    /* A Chinese sentence when the chosen photos cannot be sent; '' when they can. */
    var perStep = Number(input.dataset.photosPerStep), photoLimit = Number(input.dataset.photoLimit);
    var uploadLimit = Number(input.dataset.uploadLimit), total = 0;
    if (files.length > perStep) return '一次最多上传 ' + perStep + ' 张照片，请删去几张后再提交。';
    for (var i = 0; i < files.length; i++) {
      if (files[i].size > photoLimit) {
        return '照片“' + files[i].name + '”超过 ' + megabytes(photoLimit) + ' MB，未能上传。请重新拍摄，或换一张较小的照片。';
      }
      total += files[i].size;
    }
    if (total > uploadLimit) return '照片合计超过 ' + megabytes(uploadLimit) + ' MB，请少选几张。';
    return '';
  }

  function say(form, text) {
    var status = form.querySelector('.upload-status');
    if (!status) return;
    status.textContent = text;
    status.hidden = !text;
    status.classList.toggle('error', text !== '' && text.indexOf('正在') !== 0);
  }

  function send(form) {
    form.dataset.prepared = '1';
    form.submit();   // does not fire "submit" again; the button stays disabled while the page goes
  }

  document.addEventListener('submit', function (event) {
    var form = event.target;
    var input = form.querySelector && form.querySelector('input[type=file][data-max-side]');
    if (!input || !input.files || !input.files.length || form.dataset.prepared) return;
    var chosen = Array.prototype.slice.call(input.files);
    if (chosen.every(function (file) { return file.size <= SHRINK_ABOVE; })) return;   // nothing worth shrinking
    var canShrink = window.createImageBitmap && window.DataTransfer && window.File &&
      HTMLCanvasElement.prototype.toBlob && Blob.prototype.arrayBuffer;
    if (!canShrink) {
      var plain = problem(chosen, input);
      if (plain) {
        event.preventDefault();
        say(form, plain);
      }
      return;
    }
    event.preventDefault();
    var button = form.querySelector('button[type=submit]');
    if (button) button.disabled = true;
    say(form, '正在压缩照片，请稍候…');
    Promise.all(chosen.map(function (file) { return prepared(file, input); })).then(function (files) {
      var why = problem(files, input);
      if (why) {
        say(form, why);
        if (button) button.disabled = false;
        return;
      }
      var transfer = new DataTransfer();
      files.forEach(function (file) { transfer.items.add(file); });
      input.files = transfer.files;
      say(form, '正在上传…');
      send(form);
    }, function () { send(form); });
  });

  document.addEventListener('change', function (event) {
    var input = event.target;
    if (input.matches && input.matches('input[type=file][data-max-side]') && input.form) {
      delete input.form.dataset.prepared;   // a new choice is prepared afresh
      say(input.form, '');
    }
  });
})();
