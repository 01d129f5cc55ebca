"""Checking an archive package offline, with no database (`vpdt archive verify PACKAGE`).

What is checked (docs/archive-package.md): every file listed in manifest-sha256.txt is present
and its SHA-256 matches; no file is missing or extra; the manifest's own SHA-256 is the one the
transfer record carries; the record's PAdES signature is intact, covers the whole PDF and chains
to the root embedded in the signature (the only trust an offline archive has: it reports the
signer so that a person can judge it). Each problem names the file. Imports no Django.
"""

from __future__ import annotations

import hashlib
import logging
import re
import shutil
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field

MANIFEST = "manifest-sha256.txt"
RECORD = "bien-ban-nop-luu.pdf"
KEYWORD = "manifest-sha256="
CHUNK = 1 << 20
_LINE = re.compile(r"^([0-9a-f]{64}) {2}(\S.*)$")


@dataclass
class Problem:
    path: str
    message: str

    def as_dict(self) -> dict:
        return {"path": self.path, "message": self.message}


@dataclass
class Report:
    package: str
    files_checked: int = 0
    manifest_sha256: str = ""
    signer: str = ""
    signing_time: str | None = None
    signature: str = ""
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and self.signature == "valid"

    def as_dict(self) -> dict:
        return {"package": self.package, "ok": self.ok, "files_checked": self.files_checked,
                "manifest_sha256": self.manifest_sha256, "signer": self.signer, "signing_time": self.signing_time,
                "signature": self.signature, "problems": [p.as_dict() for p in self.problems]}


def _sha(zf: zipfile.ZipFile, name: str, copy_to=None) -> str:
    digest = hashlib.sha256()
    with zf.open(name) as src:
        while chunk := src.read(CHUNK):
            digest.update(chunk)
            if copy_to is not None:
                copy_to.write(chunk)
    return digest.hexdigest()


def _embedded_roots(emb) -> list:
    """The self-signed certificates the signature carries (its own chain's root)."""
    roots = []
    for choice in emb.signed_data["certificates"]:
        cert = choice.chosen
        if getattr(cert, "self_signed", "no") != "no":
            roots.append(cert)
    return roots


def _keywords(reader) -> str:
    info = reader.trailer_view.get("/Info") if hasattr(reader, "trailer_view") else None
    if info is None:
        return ""
    try:
        return str(info.get_object().get("/Keywords", ""))
    except Exception:  # noqa: BLE001 (a damaged Info dictionary is a failed check, reported below)
        return ""


def _check_record(report: Report, pdf_file, manifest_sha: str) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader

    from vpdt.signing import pdf
    from vpdt.signing.errors import SigningError

    logging.getLogger("pyhanko").setLevel(logging.CRITICAL)
    logging.getLogger("pyhanko_certvalidator").setLevel(logging.CRITICAL)
    try:
        pdf_file.seek(0)
        reader = PdfFileReader(pdf_file, strict=False)
        sigs = list(reader.embedded_regular_signatures)
        keywords = _keywords(reader)
    except Exception as exc:  # noqa: BLE001
        report.problems.append(Problem(RECORD, f"Biên bản nộp lưu không đọc được ({type(exc).__name__})."))
        report.signature = "unreadable"
        return
    if not sigs:
        report.problems.append(Problem(RECORD, "Biên bản nộp lưu không có chữ ký số."))
        report.signature = "unsigned"
        return
    # The chain the signature carries; with VPDT_TRUST_ROOTS set, that bundle too (a token's
    # signature may embed the chain without its root).
    try:
        roots = _embedded_roots(sigs[0]) + list(pdf.default_trust_roots())
        reports = pdf.verify_pdf(pdf_file, trust_roots=roots)
    except SigningError as exc:
        report.problems.append(Problem(RECORD, f"{exc.message} ({exc.detail})"))
        report.signature = "unreadable"
        return
    first = reports[0]
    report.signer = first.signer_subject
    report.signing_time = first.signing_time.isoformat() if first.signing_time else None
    report.signature = pdf.overall(reports)
    if len(reports) != 1:
        report.problems.append(Problem(RECORD, "Biên bản nộp lưu phải có đúng một chữ ký số."))
    elif report.signature != "valid" or not first.trusted:
        report.problems.append(Problem(RECORD, f"Chữ ký số trên biên bản không hợp lệ: {first.message_vi}"))
        report.signature = report.signature if report.signature != "valid" else "untrusted"
    elif not first.covers_whole_document:
        report.problems.append(Problem(RECORD, "Biên bản đã bị sửa sau khi ký."))
        report.signature = "modified"
    claimed = keywords.partition(KEYWORD)[2].strip()[:64]
    if claimed != manifest_sha:
        report.problems.append(Problem(MANIFEST, "Bảng mã băm không khớp với mã ghi trong biên bản đã ký."))


def verify(path: str) -> Report:
    """The report on the package at `path` (never raises for a damaged package: it is a problem)."""
    report = Report(package=str(path))
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        report.problems.append(Problem(str(path), f"Không mở được gói (không phải tệp ZIP hợp lệ): {exc}"))
        report.signature = "unreadable"
        return report
    with zf:
        names = [i.filename for i in zf.infolist() if not i.is_dir()]
        present = set(names)
        if len(present) != len(names):
            report.problems.append(Problem(str(path), "Gói có tệp trùng tên."))
        for required in (MANIFEST, RECORD):
            if required not in present:
                report.problems.append(Problem(required, "Thiếu tệp bắt buộc."))
        if MANIFEST not in present:
            report.signature = "missing"
            return report
        listed: dict[str, str] = {}
        try:
            digest = hashlib.sha256()
            with zf.open(MANIFEST) as fh:
                raw = fh.read(64 << 20)  # the manifest is text, one line a file: bounded
            digest.update(raw)
            report.manifest_sha256 = digest.hexdigest()
            lines = raw.decode("utf-8").splitlines()
        except (zipfile.BadZipFile, zlib.error, UnicodeDecodeError, OSError) as exc:
            report.problems.append(Problem(MANIFEST, f"Không đọc được bảng mã băm: {exc}"))
            lines = []
        for n, line in enumerate(lines, start=1):
            match = _LINE.match(line)
            if not match:
                report.problems.append(Problem(MANIFEST, f"Dòng {n} của bảng mã băm sai định dạng."))
                continue
            listed[match.group(2)] = match.group(1)
        for name, expected in listed.items():
            if name not in present:
                report.problems.append(Problem(name, "Tệp có trong bảng mã băm nhưng thiếu trong gói."))
                continue
            try:
                actual = _sha(zf, name)
            except (zipfile.BadZipFile, zlib.error, OSError) as exc:
                report.problems.append(Problem(name, f"Tệp bị hỏng trong gói: {exc}"))
                continue
            report.files_checked += 1
            if actual != expected:
                report.problems.append(Problem(name, "Mã SHA-256 không khớp bảng mã băm: tệp đã bị thay đổi."))
        for name in names:
            if name not in listed and name not in (MANIFEST, RECORD):
                report.problems.append(Problem(name, "Tệp thừa: không có trong bảng mã băm."))
        if RECORD not in present:
            report.signature = "missing"
            return report
        with tempfile.TemporaryFile(prefix="vpdt-verify-") as pdf_file:
            try:
                with zf.open(RECORD) as src:
                    shutil.copyfileobj(src, pdf_file, CHUNK)
            except (zipfile.BadZipFile, zlib.error, OSError) as exc:
                report.problems.append(Problem(RECORD, f"Tệp bị hỏng trong gói: {exc}"))
                report.signature = "unreadable"
                return report
            _check_record(report, pdf_file, report.manifest_sha256)
    return report
