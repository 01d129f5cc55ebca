"""The report: JSON for machines, one self-contained HTML page (Vietnamese) for the acceptance
record. Neither holds a secret: the parties appear by system id and agency code only."""

from __future__ import annotations

import datetime as dt
import html
import json
from pathlib import Path

from .packages import BUSINESS_TYPES, STATUS_NAMES
from .suite import DIRECTION_NAMES, FAIL, PASS, Report

OUTCOME_VI = {PASS: "Đạt", FAIL: "Không đạt", "skip": "Không kiểm tra được"}
ROLE_VI = {"sender": "Bên gửi", "receiver": "Bên nhận"}


def write_json(report: Report, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(json.dumps(report.to_dict(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def section(check_id: str) -> str:
    """The heading a check's row goes under: the package it is about, or the kind of check."""
    parts = check_id.split(".")
    way = DIRECTION_NAMES.get(parts[-1], "")
    if parts[0] == "edoc" and len(parts) > 2:
        what = ("văn bản gửi tới mã QĐ 20/2020" if parts[1] == "qd20"
                else BUSINESS_TYPES[parts[1]][1] if parts[1] in BUSINESS_TYPES else parts[1])
        if parts[1] == "new":
            what = "văn bản mới"
        return f"{what[0].upper()}{what[1:]} ({way})"
    if parts[0] == "status" and len(parts) > 2:
        return f"Trạng thái {parts[1]}: {STATUS_NAMES.get(parts[1], '').lower()} ({way})"
    return {"conn": "Kết nối", "auth": "Từ chối yêu cầu sai", "route": "Từ chối yêu cầu sai",
            "dup": "Gửi trùng"}.get(parts[0], parts[0])


def _when(iso: str) -> str:
    """dd/mm/yyyy HH:MM:SS, as every date a person reads."""
    if not iso:
        return ""
    return dt.datetime.fromisoformat(iso).strftime("%d/%m/%Y %H:%M:%S")


_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;margin:1rem;color:#1f2933;font-size:14px}
h1{font-size:1.4rem;margin:.2rem 0 .8rem}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem .8rem;margin:0 0 1rem}
dt{font-weight:600}dd{margin:0;overflow-wrap:anywhere}
.result{display:inline-block;padding:.3rem .7rem;border-radius:4px;font-weight:700;color:#fff}
.result.pass{background:#1e7b34}.result.fail{background:#b42318}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;min-width:1000px;table-layout:fixed}
th,td{border:1px solid #cbd2d9;padding:.35rem .5rem;text-align:left;vertical-align:top;overflow-wrap:anywhere}
th{background:#f0f4f8}
tr.section th{background:#d9e2ec;font-size:1rem}
td.id{font-family:ui-monospace,Menlo,Consolas,monospace}
col.id{width:15%}col.name{width:12%}col.what{width:19%}col.exp{width:17%}col.got{width:21%}col.out{width:7%}col.at{width:9%}
td.at{white-space:nowrap}
tr.fail td{background:#fdecea}tr.skip td{background:#fff8e1}
.o-pass{color:#1e7b34;font-weight:700}.o-fail{color:#b42318;font-weight:700}.o-skip{color:#8a6100;font-weight:700}
footer{margin-top:1rem;color:#52606d;font-size:.85rem}
@media print{.scroll{overflow:visible}table{min-width:0}}
"""


def _options(options: dict) -> str:
    parts = []
    if "timeout" in options:
        parts.append(f"chờ gói tin tối đa {options['timeout']:g} giây")
    if options.get("unknown_code"):
        parts.append(f"mã đơn vị không tồn tại {options['unknown_code']}")
    parts.append("ký yêu cầu như SDK chính thức" if options.get("sdk_habits") else "ký yêu cầu bằng thư viện vxp của vpdt")
    if options.get("receiver_qd20"):
        parts.append(f"mã QĐ 20/2020 của bên nhận {options['receiver_qd20']}")
    return "; ".join(parts)


def render_html(report: Report) -> str:
    e = html.escape
    s = report.summary
    parties = "".join(
        f"<dt>{ROLE_VI[p['role']]}</dt><dd>hệ thống {e(p['system_id'])}, mã định danh {e(p['code'])}</dd>"
        for p in (report.sender, report.receiver))
    rows = []
    heading = None
    for c in report.checks:
        if section(c.id) != heading:
            heading = section(c.id)
            rows.append(f'<tr class="section"><th colspan="7">{e(heading)}</th></tr>')
        rows.append(
            f'<tr class="{e(c.outcome)}" id="{e(c.id)}"><td class="id">{e(c.id)}</td><td>{e(c.name)}</td>'
            f"<td>{e(c.what)}</td><td>{e(c.expected)}</td><td class=\"got\">{e(c.got)}</td>"
            f'<td class="o-{e(c.outcome)}">{OUTCOME_VI.get(c.outcome, c.outcome)}</td>'
            f"<td class=\"at\">{'<br>'.join(e(part) for part in _when(c.at).split(' '))}<br>{c.duration_ms} ms</td></tr>")
    failed = report.failed()
    verdict = ("ĐẠT: mọi kiểm tra đều đạt" if report.ok else
               f"KHÔNG ĐẠT: {s['failed']} kiểm tra không đạt, {s['skipped']} không kiểm tra được")
    failed_list = ("<dt>Không đạt</dt><dd>" + ", ".join(f'<a href="#{e(i)}">{e(i)}</a>' for i in failed) + "</dd>"
                   if failed else "")
    return f"""<!DOCTYPE html>
<html lang="vi">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Kết quả kiểm tra tương thích trục liên thông: {e(report.endpoint)}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>Kết quả kiểm tra tương thích trục liên thông văn bản (QCVN 102:2016, giao thức VXP)</h1>
<p><span class="result {'pass' if report.ok else 'fail'}">{e(verdict)}</span></p>
<dl>
<dt>Địa chỉ trục</dt><dd>{e(report.endpoint)}</dd>
{parties}
<dt>Bắt đầu</dt><dd>{e(_when(report.started))}</dd>
<dt>Kết thúc</dt><dd>{e(_when(report.finished))}</dd>
<dt>Mã lượt kiểm tra</dt><dd>{e(report.run_id)}</dd>
<dt>Tùy chọn</dt><dd>{e(_options(report.options))}</dd>
<dt>Tổng số kiểm tra</dt><dd>{s['total']}: {s['passed']} đạt, {s['failed']} không đạt, {s['skipped']} không kiểm tra được</dd>
{failed_list}
</dl>
<div class="scroll">
<table>
<colgroup><col class="id"><col class="name"><col class="what"><col class="exp"><col class="got"><col class="out"><col class="at"></colgroup>
<thead><tr><th>Mã kiểm tra</th><th>Tên</th><th>Nội dung kiểm tra</th><th>Kết quả mong đợi</th><th>Kết quả thực tế</th><th>Đánh giá</th><th>Thời điểm</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</div>
<footer>Tạo bởi bộ kiểm tra tương thích vpdt (vpdt conformance). Ý nghĩa từng mã kiểm tra: tài liệu docs/conformance.md của vpdt.
Thời điểm theo giờ Việt Nam (UTC+7).</footer>
</body>
</html>
"""


def write_html(report: Report, path: str | Path) -> Path:
    path = Path(path)
    path.write_text(render_html(report), encoding="utf-8")
    return path
