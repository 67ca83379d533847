"""The 通报 as PDF: LibreOffice headless converts the DOCX in a subprocess with its own profile and a time limit.

Each conversion gets a throw-away LibreOffice profile (-env:UserInstallation), so conversions running at once — two
portal requests, a cron job beside them — never share one; a conversion that overruns is killed with its children."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess  # nosec B404  # LibreOffice headless, an argument list and no shell
import tempfile
from pathlib import Path

PROGRAMS = ("soffice", "libreoffice")
TIMEOUT_SECONDS = 120.0   # LibreOffice starts in 2–5 s on an idle machine; a busy 2-core one can take much longer
INSTALL_HINT = ("生成 PDF 需要 LibreOffice（soffice）。安装：以 root 运行 make documents，"
                "或 sudo apt-get install --no-install-recommends libreoffice-writer-nogui")


class PdfUnavailable(RuntimeError):
    """The PDF could not be made; the message says why, in Chinese. missing: LibreOffice is not installed."""

    def __init__(self, message: str, *, missing: bool = False) -> None:
        super().__init__(message)
        self.missing = missing


def soffice() -> str | None:
    """LibreOffice's command, if it is on the PATH."""
    for name in PROGRAMS:
        found = shutil.which(name)
        if found:
            return found
    return None


def convert_to_pdf(docx: Path, pdf: Path, *, timeout: float = TIMEOUT_SECONDS) -> Path:
    """Write pdf from docx; raise PdfUnavailable when LibreOffice is missing, fails or overruns.

    A PDF already at that path is removed first, so a failed run never leaves one that disagrees with the DOCX."""
    pdf.unlink(missing_ok=True)
    program = soffice()
    if program is None:
        raise PdfUnavailable(INSTALL_HINT, missing=True)
    with tempfile.TemporaryDirectory(prefix="civicbot-soffice-") as scratch:
        profile, out_dir = Path(scratch, "profile"), Path(scratch, "out")
        command = [program, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--invisible", "--norestore",
                   "--nologo", "--nolockcheck", "--convert-to", "pdf", "--outdir", str(out_dir), str(docx)]
        # Its own session: on a timeout the whole group goes (oosplash and soffice.bin), not just the first process.
        # Accepted by bandit: soffice from PATH, with our own temporary paths as its arguments; no shell.
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,  # nosec B603
                                   start_new_session=True, env={**os.environ, "HOME": scratch})
        try:
            _, errors = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise PdfUnavailable(f"LibreOffice 转换 PDF 超时（超过 {timeout:.0f} 秒），请稍后重试。") from None
        made = out_dir / f"{docx.stem}.pdf"
        if process.returncode != 0 or not made.exists():
            raise PdfUnavailable(f"LibreOffice 未能生成 PDF（退出码 {process.returncode}）：{errors.strip()[-300:]}")
        shutil.move(made, pdf)
    return pdf
