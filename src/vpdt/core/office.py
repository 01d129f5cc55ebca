"""Office documents (.docx, .odt) to PDF with LibreOffice headless (Debian's libreoffice-writer-nogui).

One conversion is one `soffice --headless --convert-to pdf` process, with:

- its own profile directory (`-env:UserInstallation=file:///tmp/...`), made for it and removed
  after it, so two conversions never share (and lock) a profile and nothing a document did
  survives it;
- no network where the kernel allows an unprivileged network namespace (`unshare -rn`): a
  document's linked images or fields cannot reach the intranet or the Internet;
- a timeout: past it the whole process group (oosplash and soffice.bin) is killed;
- macros off (MacroSecurityLevel 3, execution disabled) and linked content blocked
  (BlockUntrustedRefererLinks) in the fresh profile, on top of core.filetypes, which refuses
  documents with macros before they are stored.

LibreOffice exits 0 even when it could not load the file: success is a PDF in the output
directory, nothing else. Errors carry a code for systems (CONVERT_*) and a Vietnamese message.
"""

from __future__ import annotations

import functools
import logging
import os
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from vpdt.core.errors import VpdtError

log = logging.getLogger(__name__)

# A fresh profile's settings: no macro ever runs; linked images and files are not fetched.
_PROFILE_XCU = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""

CONVERTIBLE_KINDS = {"docx", "odt"}


class ConversionFailed(VpdtError):
    code = "CONVERT_FAILED"
    http_status = 422


@dataclass
class Converted:
    path: Path  # the PDF, inside the caller's work directory
    seconds: float


def soffice_path() -> str | None:
    """The soffice executable (settings.VPDT_SOFFICE or on PATH), None when LibreOffice is absent."""
    configured = getattr(settings, "VPDT_SOFFICE", "") or ""
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def timeout_seconds() -> float:
    return float(getattr(settings, "VPDT_CONVERT_TIMEOUT_SECONDS", 120))


@functools.cache
def _isolation_prefix() -> tuple[str, ...]:
    """`unshare -rn` (a network namespace with only loopback, as an unprivileged user) when it works here."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return ()
    try:
        ok = subprocess.run([unshare, "-rn", "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        ok = False
    if not ok:
        log.warning("unshare -rn is not allowed here: LibreOffice conversions run without a network namespace")
    return (unshare, "-rn") if ok else ()


def to_pdf(source: str | os.PathLike, workdir: str | os.PathLike, *, kind: str = "docx",
           timeout: float | None = None) -> Converted:
    """Convert the file at `source` (a .docx or .odt by its bytes: `kind`) to a PDF inside `workdir`.

    Raises ConversionFailed: CONVERT_UNAVAILABLE (no LibreOffice), CONVERT_TIMEOUT (killed after
    `timeout` seconds), CONVERT_UNREADABLE (LibreOffice made no PDF of it).
    """
    if kind not in CONVERTIBLE_KINDS:
        raise ConversionFailed("Chỉ chuyển sang PDF được tệp .docx hoặc .odt.", code="CONVERT_KIND",
                               detail=f"kind {kind!r}")
    soffice = soffice_path()
    if soffice is None:
        raise ConversionFailed("Máy chủ chưa cài LibreOffice nên chưa chuyển được tệp sang PDF.",
                               code="CONVERT_UNAVAILABLE", detail="soffice not found")
    limit = timeout_seconds() if timeout is None else timeout
    work = Path(workdir)
    src = work / f"document.{kind}"  # a fixed name: the uploader's name never reaches a command line
    shutil.copyfile(source, src)
    out = work / "out"
    out.mkdir()
    with tempfile.TemporaryDirectory(prefix="vpdt-lo-profile-") as profile:
        user_dir = Path(profile) / "user"
        user_dir.mkdir()
        (user_dir / "registrymodifications.xcu").write_text(_PROFILE_XCU, encoding="utf-8")
        command = [*_isolation_prefix(), soffice, f"-env:UserInstallation={Path(profile).as_uri()}",
                   "--headless", "--invisible", "--nologo", "--norestore", "--nodefault", "--nolockcheck",
                   "--convert-to", "pdf:writer_pdf_Export", "--outdir", str(out), str(src)]
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": profile, "LANG": "C.UTF-8",
               "TMPDIR": str(work)}
        started = time.monotonic()
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, cwd=work, env=env, start_new_session=True)
        try:
            output, _ = proc.communicate(timeout=limit)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise ConversionFailed(
                f"Chuyển sang PDF quá thời gian cho phép ({limit:g} giây): tệp quá lớn hoặc quá phức tạp.",
                code="CONVERT_TIMEOUT", detail=f"killed after {limit:g}s") from None
        finally:
            _kill_group(proc)  # a helper soffice.bin left behind must not outlive the conversion
        seconds = time.monotonic() - started
    pdf = out / "document.pdf"
    text = (output or b"").decode("utf-8", "replace").strip()
    if proc.returncode != 0 or not pdf.is_file() or pdf.stat().st_size == 0:
        raise ConversionFailed("LibreOffice không đọc được tệp này (tệp hỏng hoặc không đúng định dạng "
                               "Word/OpenDocument), nên không tạo được bản PDF.", code="CONVERT_UNREADABLE",
                               detail=f"exit {proc.returncode}: {text[-500:]}")
    return Converted(pdf, seconds)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:  # pragma: no cover - SIGKILL does not wait on anyone
        log.error("soffice process %s did not die after SIGKILL", proc.pid)
