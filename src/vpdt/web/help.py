"""Training by level of use, inside the application: what each main page is for and the next
step, for the person's role; and a short guided first walk per role (web/static/web/help.js).

One catalogue, here: `PAGES` maps a page (its URL name) to the help of each role ("*" for any
role); `WALKS` lists the steps of each role's first walk, each pointing at an element of the
frame every page has (menu entries, the bell, the help menu). Everything is Vietnamese, marked
for translation, with its English in the .po file. Which role's help a person sees: the first
role of ROLE_ORDER they hold that the page has help for (a clerk who also leads sees the
clerk's help on the receiving page, the leader's on the assignment page).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from vpdt.directory.roles import Role

ROLE_ORDER = [Role.CLERK, Role.LEADER, Role.UNIT_HEAD, Role.SPECIALIST, Role.AGENCY_ADMIN, Role.PLATFORM_ADMIN]


@dataclass(frozen=True)
class Help:
    purpose: str  # completes "Trang này dùng để …"
    steps: list = field(default_factory=list)  # "Bước tiếp theo"


_QUEUE = {
    Role.CLERK: Help(_("xem việc đang chờ văn thư: văn bản đến chờ vào sổ, văn bản đi chờ kiểm tra thể thức, "
                       "cấp số và phát hành."),
                     [_("Mở văn bản mới đến (từ danh sách hoặc từ chuông thông báo), kiểm tra rồi bấm “Vào sổ”."),
                      _("Trình lãnh đạo văn bản đã vào sổ."),
                      _("Văn bản đi đã duyệt: kiểm tra thể thức, cấp số, rồi phát hành.")]),
    Role.LEADER: Help(_("xem văn bản đến chờ ý kiến chỉ đạo và dự thảo chờ bạn duyệt ký."),
                      [_("Mở văn bản đến, phân công đơn vị chủ trì, phối hợp và hạn xử lý."),
                       _("Đọc dự thảo, duyệt ký hoặc trả lại kèm ý kiến."),
                       _("Khi đi công tác, ủy quyền cho cấp phó ở mục “Ủy quyền”.")]),
    Role.UNIT_HEAD: Help(_("xem văn bản giao cho đơn vị của bạn và dự thảo chờ bạn duyệt nội dung."),
                         [_("Giao văn bản cho cán bộ xử lý, kèm ý kiến và hạn."),
                          _("Duyệt nội dung dự thảo hoặc trả lại để sửa."),
                          _("Theo dõi việc sắp đến hạn và quá hạn của đơn vị.")]),
    Role.SPECIALIST: Help(_("xem văn bản được giao cho bạn, hạn xử lý của bạn và dự thảo bạn đang soạn."),
                          [_("Mở văn bản được giao, đọc ý kiến chỉ đạo."),
                           _("Ghi ý kiến xử lý, hoặc soạn văn bản trả lời."),
                           _("Bấm “Hoàn thành” khi đã xử lý xong.")]),
    Role.AGENCY_ADMIN: Help(_("xem việc của bạn; việc quản trị cơ quan nằm ở mục “Quản trị”."),
                            [_("Vào “Quản trị” để thêm cán bộ, gán vai trò, thiết lập quy trình duyệt."),
                             _("Xem các gói tin liên thông bị cách ly của cơ quan.")]),
    Role.PLATFORM_ADMIN: Help(_("xem việc của bạn; việc quản trị toàn tỉnh nằm ở mục “Quản trị”."),
                              [_("Vào “Quản trị” để quản lý cơ quan, quản trị đơn vị và kết nối trục liên thông.")]),
}
_SEARCH_STEPS = [_("Gõ vài chữ của trích yếu, số hoặc ký hiệu vào ô “Tìm nhanh” (gõ không dấu cũng được)."),
                 _("Lọc theo trạng thái, ngày, độ khẩn; bấm vào trích yếu để mở văn bản.")]
_ADMIN = {
    Role.AGENCY_ADMIN: Help(_("quản trị cơ quan: cán bộ, đơn vị, quy trình duyệt, khóa ký số, an ninh đăng nhập."),
                            [_("Thêm cán bộ và gán vai trò."), _("Thiết lập quy trình duyệt dự thảo."),
                             _("Xem các yêu cầu đang chờ phê duyệt.")]),
    Role.PLATFORM_ADMIN: Help(_("quản trị toàn tỉnh: cơ quan, quản trị đơn vị, kết nối trục liên thông."),
                              [_("Thêm cơ quan và người quản trị của cơ quan."),
                               _("Kiểm tra kết nối trục liên thông của từng cơ quan.")]),
}

PAGES: dict[str, dict] = {
    "home": _QUEUE,
    "queue": _QUEUE,
    "incoming": {
        Role.CLERK: Help(_("tra cứu sổ văn bản đến của cơ quan; văn bản “Đã đến, chờ vào sổ” cần bạn vào sổ."),
                         _SEARCH_STEPS),
        "*": Help(_("tra cứu văn bản đến mà bạn được xem: tìm nhanh, lọc theo trạng thái, ngày, độ khẩn."),
                  _SEARCH_STEPS),
    },
    "outgoing": {
        "*": Help(_("tra cứu văn bản đi và theo dõi từng nơi nhận đã nhận, đã xử lý hay chưa."),
                  [_("Lọc theo trạng thái để thấy dự thảo, văn bản chờ phát hành."),
                   _("Mở văn bản để xem trạng thái của từng nơi nhận.")]),
    },
    "receive": {
        "*": Help(_("tiếp nhận văn bản giấy (hoặc nhận qua thư điện tử): đính kèm bản quét, nhập thông tin và "
                    "vào sổ."),
                  [_("Đính kèm bản quét PDF."),
                   _("Nhập cơ quan ban hành, số, ký hiệu, ngày, trích yếu, độ khẩn."),
                   _("Bấm “Tiếp nhận”, rồi trình lãnh đạo trên trang văn bản.")]),
    },
    "draft": {
        "*": Help(_("soạn văn bản đi: trích yếu, tệp dự thảo, nơi nhận, rồi trình duyệt."),
                  [_("Nhập trích yếu và đính kèm tệp dự thảo (.docx hoặc .pdf)."),
                   _("Chọn nơi nhận trong cơ quan và các cơ quan khác."),
                   _("Bấm “Lưu và trình duyệt”.")]),
    },
    "document": {
        Role.CLERK: Help(_("xem toàn bộ văn bản: thông tin, tệp, quá trình xử lý và các việc của văn thư."),
                         [_("Văn bản đến: vào sổ, rồi trình lãnh đạo."),
                          _("Văn bản đi đã duyệt: cấp số, rồi phát hành.")]),
        Role.LEADER: Help(_("đọc văn bản, cho ý kiến chỉ đạo, phân công xử lý hoặc duyệt ký."),
                          [_("Văn bản đến: bấm “Phân công xử lý”."), _("Dự thảo: đọc tệp rồi bấm “Duyệt ký”.")]),
        Role.UNIT_HEAD: Help(_("xem văn bản của đơn vị: giao cán bộ xử lý hoặc duyệt nội dung dự thảo."),
                             [_("Văn bản đến: bấm “Giao cán bộ xử lý”."),
                              _("Dự thảo: bấm “Duyệt”, hoặc trả lại kèm ý kiến.")]),
        "*": Help(_("đọc văn bản được giao, xem ý kiến chỉ đạo và ghi kết quả xử lý."),
                  [_("Ghi ý kiến xử lý."), _("Bấm “Hoàn thành” khi đã xử lý xong.")]),
    },
    "assign": {
        "*": Help(_("phân công xử lý: chủ trì, phối hợp, để biết, hạn xử lý và ý kiến chỉ đạo."),
                  [_("Chọn đơn vị hoặc cán bộ chủ trì (bắt buộc)."),
                   _("Chọn phối hợp, để biết nếu cần."),
                   _("Đặt hạn, ghi ý kiến chỉ đạo, rồi bấm “Phân công”.")]),
    },
    "sign": {
        "*": Help(_("xem lại đúng tệp sẽ được ký và xác nhận duyệt ký."),
                  [_("Kiểm tra trích yếu và tệp."), _("Bấm “Xác nhận duyệt ký”.")]),
    },
    "notifications": {
        "*": Help(_("xem thông báo của bạn: việc cần xử lý ở trên, tin để biết ở dưới, mới nhất trước."),
                  [_("Bấm vào thông báo để mở văn bản; thông báo được đánh dấu đã đọc."),
                   _("Bấm “Đánh dấu đã đọc tất cả” khi đã xem hết.")]),
    },
    "delegations": {
        "*": Help(_("ủy quyền xử lý công việc cho người khác trong thời gian bạn vắng."),
                  [_("Chọn người nhận ủy quyền, từ ngày, đến ngày và lý do."),
                   _("Bấm tạo; có thể kết thúc ủy quyền sớm.")]),
    },
    "quarantine": {
        "*": Help(_("xem các gói tin liên thông không nhận vào được (bị cách ly) và lý do."),
                  [_("Đọc lý do; báo cơ quan gửi khi gói tin hỏng."),
                   _("Nhận lại gói tin khi đã khắc phục.")]),
    },
    "admin_home": _ADMIN,
}


@dataclass(frozen=True)
class Step:
    selectors: list[str]  # the first visible one is highlighted (desktop menu, then the phone's)
    title: str
    text: str


def _link(name: str) -> list[str]:
    try:
        url = reverse(name)
    except NoReverseMatch:
        return []
    return [f'#nav .nav-link[href="{url}"]']


_BELL = ['[data-testid="bell"]', ".nav-bell"]
_HELP = ['[data-testid="help-menu"]', ".navbar-toggler"]  # on a phone it is in the folded menu
_MENU = [".navbar-toggler"]


def _walk_steps(role: str) -> list[Step]:
    queue = Step([*_link("workflow:home"), *_MENU], _("Công việc của tôi"),
                 _("Mỗi ngày bắt đầu ở đây: những văn bản đang chờ bạn, việc gấp và sắp đến hạn ở trên."))
    bell = Step(_BELL, _("Chuông thông báo"),
                _("Số đỏ là thông báo chưa đọc. Việc cần bạn xử lý được xếp trước, tin để biết sau."))
    help_step = Step(_HELP, _("Trợ giúp"),
                     _("Mở lại hướng dẫn của trang, hoặc đi lại vòng hướng dẫn này, bất cứ lúc nào."))
    incoming = Step([*_link("workflow:incoming"), *_MENU], _("Văn bản đến"),
                    _("Tra cứu văn bản đến: gõ vài chữ không dấu vào ô tìm nhanh, lọc theo trạng thái."))
    outgoing = Step([*_link("workflow:outgoing"), *_MENU], _("Văn bản đi"),
                    _("Văn bản đi của cơ quan và trạng thái ở từng nơi nhận."))
    delegations = Step([*_link("workflow:delegations"), *_MENU], _("Ủy quyền"),
                       _("Khi vắng mặt, giao việc của bạn cho người khác trong một khoảng thời gian."))
    admin = Step(['[data-testid="admin-link"]', *_MENU], _("Quản trị"),
                 _("Cán bộ, đơn vị, vai trò, quy trình duyệt, khóa ký số và kết nối liên thông."))
    walks = {
        Role.CLERK: [queue, Step([*_link("workflow:receive"), *_MENU], _("Tiếp nhận văn bản"),
                                 _("Văn bản giấy: quét, nhập thông tin và vào sổ. Văn bản điện tử đến tự động "
                                   "qua liên thông và báo ở chuông.")), incoming, bell, help_step],
        Role.LEADER: [queue, incoming, outgoing, delegations, bell, help_step],
        Role.UNIT_HEAD: [queue, incoming, delegations, bell, help_step],
        Role.SPECIALIST: [queue, Step([*_link("workflow:draft"), *_MENU], _("Soạn dự thảo"),
                                      _("Soạn văn bản đi: trích yếu, tệp dự thảo, nơi nhận, rồi trình duyệt.")),
                          incoming, bell, help_step],
        Role.AGENCY_ADMIN: [queue, admin, Step([*_link("workflow:quarantine"), *_MENU], _("Gói tin bị cách ly"),
                                               _("Gói tin liên thông không nhận vào được và lý do.")),
                            help_step],
        Role.PLATFORM_ADMIN: [queue, admin, help_step],
    }
    return walks.get(role, [queue, bell, help_step])


def roles_of(user) -> list[str]:
    held = set(user.role_set(user.agency_id)) if user.agency_id else set()
    if user.is_superuser or user.is_platform_admin:
        held.add(Role.PLATFORM_ADMIN)
    return [r for r in ROLE_ORDER if r in held]


def page_key(resolver_match) -> str | None:
    if resolver_match is None:
        return None
    name = resolver_match.url_name or ""
    if name.startswith("admin_"):
        return "admin_home"
    return name if name in PAGES else None


def for_page(user, resolver_match) -> tuple[str, str, Help] | None:
    """(page key, role, help) for this person on this page, or None when the page has none."""
    key = page_key(resolver_match)
    if key is None:
        return None
    entries = PAGES[key]
    roles = roles_of(user)
    for role in roles:
        if role in entries:
            return key, role, entries[role]
    if "*" in entries:
        return key, (roles[0] if roles else ""), entries["*"]
    return None


def walk(user) -> tuple[str, list[dict]]:
    """The person's first walk: their main role and its steps (JSON for help.js)."""
    roles = roles_of(user)
    role = roles[0] if roles else ""
    return role, [{"selectors": s.selectors, "title": str(s.title), "text": str(s.text)} for s in _walk_steps(role)]
