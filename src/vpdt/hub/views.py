"""The VXP operations over HTTP: thin views that authenticate, call services, answer JSON.

Every answer is HTTP 200 with `status`, `ErrorCode`, `ErrorDesc` (the SDK ignores the
HTTP status and parses the body; some answers as US-ASCII, so non-ASCII is escaped).
Request bodies are read as a stream (never `request.body`): a package goes straight
to a temp file.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import re

from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.views.decorators.csrf import csrf_exempt

from vpdt.hub import services
from vpdt.hub.models import Delivery
from vpdt.vxp import protocol as vxp

log = logging.getLogger("vpdt.hub")
STATE_DESC = {
    Delivery.PENDING: "Chờ nhận",
    Delivery.PROCESSING: "Đang xử lý",
    Delivery.DONE: "Đã nhận",
    Delivery.FAIL: "Lỗi",
}
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def answer(body: dict) -> HttpResponse:
    return _sized(HttpResponse(vxp.dumps(body), content_type="application/json"))


def _sized(response: HttpResponse) -> HttpResponse:
    """The answer's length in its headers. The hub runs without Django's middleware (no
    CommonMiddleware to add it), and an HTTP/1.1 answer of unknown length is sent chunked and
    its connection closed after it (waitress): every VXP call but a download then cost a new
    TCP connection, accepted and torn down by both sides (4 of the 6 calls of an exchange)."""
    response["Content-Length"] = str(len(response.content))
    return response


def _time(value) -> str:
    from django.utils import timezone

    return timezone.localtime(value).strftime(TIME_FORMAT) if value else ""


def _content_length(request) -> int | None:
    try:
        return int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None


def _drain(request) -> None:
    """Read what is left of a refused body so the connection stays usable."""
    try:
        while request.read(1024 * 1024):
            pass
    except Exception:  # noqa: BLE001 - the client may be gone; nothing to answer anyway
        pass


# The SDK's downloadEdoc2 sends a bare GET {endpoint}/downloadEdoc: no signature, no docId,
# and saves whatever body comes back as <docId>.edxml, reporting success for any non-empty
# body. It cannot be served (nobody is identified, nothing is named): it is refused with an
# EMPTY body, which the SDK reports as a failure (ErrorCode 100), and the reason in headers.
def _unsigned_download(request) -> HttpResponse | None:
    if request.headers.get(vxp.SIGN_HEADER) or request.headers.get(vxp.HASH_HEADER):
        return None
    _drain(request)
    response = HttpResponse(b"", status=401, content_type="application/octet-stream")
    response["XroadVnpt-ErrorCode"] = vxp.UNSIGNED_DOWNLOAD.code
    response["XroadVnpt-ErrorDesc"] = vxp.UNSIGNED_DOWNLOAD.title
    response["WWW-Authenticate"] = 'XroadVnpt realm="vpdt-hub"'
    _sized(response)
    log.info("hub downloadEdoc refused: unsigned request (SDK downloadEdoc2) from %s", request.META.get("REMOTE_ADDR"))
    return response


@csrf_exempt
def operation(request, op: str):
    if op not in vxp.OPERATIONS:
        return answer(vxp.response(vxp.UNKNOWN_OPERATION, op))
    if op == "downloadEdoc" and (refused := _unsigned_download(request)) is not None:
        return refused
    extra = {"DocId": ""} if op == "sendEdoc" else {}
    caller = None
    try:
        caller = services.authenticate(request.headers, join=JOINED.get(op))
        return HANDLERS[op](request, caller)
    except vxp.VxpError as exc:
        if op == "sendEdoc":
            _drain(request)
        log.info("hub %s refused: %s", op, exc)
        _record(request, op, exc, caller)
        return answer(vxp.error_response(exc, **extra))
    except Exception as exc:
        log.exception("hub %s failed", op)
        if op == "sendEdoc":
            _drain(request)
        _record(request, op, vxp.VxpError(vxp.INTERNAL, type(exc).__name__), caller)
        return answer(vxp.response(vxp.INTERNAL, **extra))


def _record(request, op: str, exc: vxp.VxpError, caller) -> None:
    """Refusals of an identified system go to the operator's record (services.guard)."""
    services.record_refusal(op, exc, system_id=caller.system_id if caller else exc.system_id,
                            authenticated=caller is not None or exc.authenticated,
                            remote_addr=request.META.get("REMOTE_ADDR", ""))


def send_edoc(request, caller):
    incoming = services.receive_body(request.read, _content_length(request), caller.signed.get("hash-file"))
    result = services.accept(caller, incoming)
    body = vxp.response(DocId=result.doc_id)
    if result.refused:
        body["ErrorDesc"] = "Success. Không gửi được tới: " + result.description()
        body["refused"] = [{"code": r.code, "ErrorCode": r.error.code, "ErrorDesc": r.error.message}
                           for r in result.refused]
    return answer(body)


def get_received_edoc_list(request, caller):
    data = [{
        "docId": d.doc_id,
        "serviceType": "eDoc",
        "messageType": d.message_type,
        "created_time": _time(d.created_at),
        "updated_time": _time(d.updated_at),
        "from": d.from_code,
        "to": d.to_code,
        "status": d.state,
        "status_desc": STATE_DESC.get(d.state, d.state),
    } for d in services.received(caller, caller.signed.message_type)]
    return answer(vxp.response(data=data))


def get_sent_edoc_list(request, caller):
    data = []
    for d in services.sent(caller, caller.signed.get("docId"), caller.signed.message_type):
        send_status = "refused" if d.route == Delivery.REFUSED else (
            "forwarded" if d.route == Delivery.UPSTREAM and d.state == Delivery.DONE else d.state)
        data.append({
            "senderDocId": d.submission.doc_id,
            "receiverDocId": d.doc_id,
            "fromCode": d.from_code,
            "toCode": d.to_code,
            "sendStatus": send_status,
            "sendStatusDesc": d.error_desc or STATE_DESC.get(d.state, d.state),
            "receiveStatus": d.receive_status,
            "receiveStatusDesc": _status_name(d.receive_status),
            "title": d.package.subject,
            "notation": d.package.notation,
            "sentTime": _time(d.created_at),
            "receivedTime": _time(d.done_at if d.state == Delivery.DONE else None),
            "serviceType": "eDoc",
            "messageType": d.message_type,
        })
    return answer(vxp.response(data=data))


def _status_name(code: str) -> str:
    if not code:
        return ""
    try:
        from vpdt.edxml import STATUS_NAMES

        return STATUS_NAMES.get(code, code)
    except ImportError:  # pragma: no cover
        return code


def get_edoc(request, caller):
    delivery, fh = services.open_delivery(caller, caller.signed.get("docId"))
    head = vxp.dumps(vxp.response(docId=delivery.doc_id))[:-1] + b',"data":"'
    size = os.fstat(fh.fileno()).st_size  # the store's files do not change: the answer's length is known

    def stream():
        with fh:
            yield head
            while chunk := fh.read(3 * 256 * 1024):  # multiple of 3: no padding mid-stream
                yield base64.b64encode(chunk)
            yield b'"}'

    response = StreamingHttpResponse(stream(), content_type="application/json")
    response["Content-Length"] = str(len(head) + 4 * ((size + 2) // 3) + 2)  # kept alive too (`_sized`)
    return response


def download_edoc(request, caller):
    delivery, fh = services.open_delivery(caller, caller.signed.get("docId"))
    response = FileResponse(fh, content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{delivery.doc_id}.edxml"'
    return response


def update_status(request, caller):
    services.acknowledge(caller, caller.signed.get("docId"), caller.signed.get("status"))
    return answer(vxp.response())


def count_receive_edoc(request, caller):
    return answer(vxp.response(count=services.count_received(caller, "edoc")))


def count_receive_status(request, caller):
    return answer(vxp.response(count=services.count_received(caller, "status")))


def get_agencies_list(request, caller):
    rows = services.agencies()
    ids = {a.code: a.pk for a in rows}
    data = [{"code": a.code, "id": a.pk, "mail": a.mail, "name": a.name, "pid": ids.get(a.parent_code, 0),
             "oldCode": ""} for a in rows]
    return answer(vxp.response(data=data))


def get_agencies_list_qd20(request, caller):
    level = caller.signed.get("level")
    rows = services.agencies()
    if level and level.strip().isdigit():
        rows = [a for a in rows if services.code_level(a.code) == int(level)]
    # `code`: the QĐ 20/2020 code (Thông tư 01/2022), the QCVN 102 code until one is set;
    # `code102`: always the QCVN 102 code.
    data = [{"code": a.code_qd20 or a.code, "id": a.pk, "mail": a.mail, "name": a.name, "code102": a.code}
            for a in rows]
    return answer(vxp.response(data=data))


def get_synchronize_unit(request, caller):
    """The directory as changes: every unit (removed ones marked `deleted`), or with a
    signed `fromVersion` only those changed after it. The SDK reads each field with getAsString /
    getAsInt / getAsBoolean: none may be null."""
    since = caller.signed.get("fromVersion")  # not "version": the SDK sends XroadVnpt-version itself
    if since is not None and since.strip():
        if not since.strip().isdigit():
            raise vxp.VxpError(vxp.BAD_REQUEST, f"fromVersion {since!r} must be a whole number")
        rows = services.synchronize_units(int(since))
    else:
        rows = services.synchronize_units()
    ids = {a.code: a.pk for a in services.synchronize_units()} if since else {a.code: a.pk for a in rows}
    data = [{
        "id": str(a.pk),
        "pid": str(ids.get(a.parent_code, 0)),
        "code": a.code,
        "codeQD20": a.code_qd20,
        "name": a.name,
        "mail": a.mail,
        "centerCode": "",
        "version": min(a.version, 2**31 - 1),
        "deleted": not a.active,
        "modifyDate": _time(a.updated_at),
        "isAgency": True,
    } for a in rows]
    return answer(vxp.response(data=data))


def _json_body(request, limit: int = 64 * 1024) -> dict:
    raw = request.read(limit + 1)
    if len(raw) > limit:
        raise vxp.VxpError(vxp.BAD_REQUEST, "body too large")
    try:
        payload = json.loads(raw.decode("utf-8") or "{}")
    except UnicodeDecodeError as exc:
        raise vxp.VxpError(vxp.BAD_REQUEST, f"body is not UTF-8: {exc}") from None
    except ValueError as exc:
        payload = _lenient_fields(raw.decode("utf-8"))
        if payload is None:
            raise vxp.VxpError(vxp.BAD_REQUEST, f"body is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise vxp.VxpError(vxp.BAD_REQUEST, "body must be a JSON object")
    return payload


_FIELD = re.compile(r'"(id|pcode|code|codeQD20|name|mail|mobile|fax)"\s*:\s*"((?:[^"\\]|\\.)*)"\s*(?=[,}])')


def _lenient_fields(text: str) -> dict | None:
    """The SDK's own example (ServiceTest) sends registerAgency data that is not JSON
    (`"mail":cc"","mobile":333""`): read the well-formed `"key":"value"` pairs of the known
    fields and leave the broken ones out; None when even code and name cannot be read."""
    text = text.strip()
    if not (text.startswith("{") and text.endswith("}")):
        return None
    fields = {}
    for key, value in _FIELD.findall(text):
        try:
            fields[key] = json.loads(f'"{value}"')
        except ValueError:
            continue
    return fields if fields.get("code") and fields.get("name") else None


def register_agency(request, caller):
    services.register_agency(caller, _json_body(request))
    return answer(vxp.response())


def delete_agency(request, caller):
    services.delete_agency(caller, caller.signed.get("AgencyCode"))
    return answer(vxp.response())


# The operations whose first read is done by authentication's statement (services.authenticate).
JOINED = {"getEdoc": services.own_delivery_join, "downloadEdoc": services.own_delivery_join,
          "updateStatus": services.own_delivery_join}

HANDLERS = {
    "sendEdoc": send_edoc,
    "getReceivedEdocList": get_received_edoc_list,
    "getEdoc": get_edoc,
    "downloadEdoc": download_edoc,
    "updateStatus": update_status,
    "getSentEdocList": get_sent_edoc_list,
    "countReceiveEdoc": count_receive_edoc,
    "countReceiveStatus": count_receive_status,
    "getAgenciesList": get_agencies_list,
    "getAgenciesListQD20": get_agencies_list_qd20,
    "getSynchronizeUnit": get_synchronize_unit,
    "registerAgency": register_agency,
    "deleteAgency": delete_agency,
}
