"""Data of the fictional province of Bình Sơn (code H90, not a real province code)."""

PASSWORD = "Demo@2026"
# The second factor of the demo's leaders and administrators (whom the default policy makes
# enrol): one known TOTP secret, printed by `make run`, so a reviewer adds it to an
# authenticator app once (or asks `vpdt demo otp` for the current code). Demo only.
TOTP_SECRET = "VPDTDEMOBINHSONHAIBUOCXACTHUCABC"
PROVINCE = "H90"

# code, name, abbreviation, place, units [(name, abbr)], slug for usernames, leader title
AGENCIES = [
    ("000.00.00.H90", "Ủy ban nhân dân tỉnh Bình Sơn", "UBND", "Bình Sơn",
     [("Văn phòng", "VP")], "ubnd", "Chủ tịch"),
    ("000.00.01.H90", "Văn phòng Ủy ban nhân dân tỉnh Bình Sơn", "VPUBND", "Bình Sơn",
     [("Phòng Hành chính – Tổ chức", "HCTC"), ("Phòng Kinh tế", "KT"), ("Phòng Văn hóa – Xã hội", "VX")],
     "vpubnd", "Chánh Văn phòng"),
    ("000.00.02.H90", "Sở Nội vụ tỉnh Bình Sơn", "SNV", "Bình Sơn",
     [("Văn phòng Sở", "VP"), ("Phòng Tổ chức, biên chế", "TCBC"), ("Phòng Cải cách hành chính", "CCHC")],
     "snv", "Giám đốc"),
    ("000.00.03.H90", "Sở Tài chính tỉnh Bình Sơn", "STC", "Bình Sơn",
     [("Văn phòng Sở", "VP"), ("Phòng Quản lý ngân sách", "QLNS"), ("Phòng Đầu tư", "ĐT")],
     "stc", "Giám đốc"),
    ("000.00.13.H90", "Sở Khoa học và Công nghệ tỉnh Bình Sơn", "SKHCN", "Bình Sơn",
     [("Văn phòng Sở", "VP"), ("Phòng Chuyển đổi số", "CĐS"), ("Phòng Bưu chính, Viễn thông", "BCVT")],
     "skhcn", "Giám đốc"),
    ("000.00.05.H90", "Sở Giáo dục và Đào tạo tỉnh Bình Sơn", "SGDĐT", "Bình Sơn",
     [("Văn phòng Sở", "VP"), ("Phòng Giáo dục phổ thông", "GDPT")],
     "sgddt", "Giám đốc"),
    ("000.00.06.H90", "Sở Y tế tỉnh Bình Sơn", "SYT", "Bình Sơn",
     [("Văn phòng Sở", "VP"), ("Phòng Nghiệp vụ Y", "NVY")],
     "syt", "Giám đốc"),
    ("000.00.31.H90", "Ủy ban nhân dân thị xã Tân Phú", "UBND", "Tân Phú",
     [("Văn phòng HĐND và UBND", "VP"), ("Phòng Tài chính – Kế hoạch", "TCKH")],
     "tanphu", "Chủ tịch"),
    ("000.00.32.H90", "Ủy ban nhân dân huyện Hòa An", "UBND", "Hòa An",
     [("Văn phòng HĐND và UBND", "VP"), ("Phòng Nội vụ", "NV")],
     "hoaan", "Chủ tịch"),
    ("000.01.31.H90", "Ủy ban nhân dân phường Tân Lập", "UBND", "Tân Lập",
     [("Văn phòng", "VP")], "tanlap", "Chủ tịch"),
    ("000.02.31.H90", "Ủy ban nhân dân xã Phú Mỹ", "UBND", "Phú Mỹ",
     [("Văn phòng", "VP")], "phumy", "Chủ tịch"),
    ("000.01.32.H90", "Ủy ban nhân dân xã An Hòa", "UBND", "An Hòa",
     [("Văn phòng", "VP")], "anhoa", "Chủ tịch"),
    ("000.02.32.H90", "Ủy ban nhân dân xã Hòa Bình", "UBND", "Hòa Bình",
     [("Văn phòng", "VP")], "hoabinh", "Chủ tịch"),
]

# Agencies whose staff get the full set of roles (others get a clerk and a leader).
FULL_STAFF = {"ubnd", "vpubnd", "snv", "stc", "skhcn", "tanphu"}

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương"]
MIDDLE = ["Văn", "Thị", "Minh", "Thanh", "Quốc", "Ngọc", "Hữu", "Thu", "Đức", "Kim", "Xuân", "Bảo"]
GIVEN = ["An", "Bình", "Cường", "Dung", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Hương", "Khánh", "Lan", "Linh",
         "Long", "Mai", "Nam", "Nga", "Phong", "Phúc", "Quang", "Sơn", "Tâm", "Thảo", "Thắng", "Trang", "Tuấn", "Vy"]

SUBJECTS = [
    "Về việc triển khai chuyển đổi số trong cơ quan nhà nước năm {year}",
    "Về việc đẩy mạnh gửi, nhận văn bản điện tử trên trục liên thông",
    "Về việc báo cáo kết quả cải cách hành chính quý {q} năm {year}",
    "Về việc tăng cường công tác phòng, chống thiên tai mùa mưa bão",
    "Về việc tổ chức Hội nghị sơ kết công tác 6 tháng đầu năm {year}",
    "Về việc góp ý dự thảo Quyết định ban hành quy chế quản lý văn bản điện tử",
    "Về việc bảo đảm an toàn thông tin mạng trong dịp lễ, Tết",
    "Về việc rà soát, bổ sung quy hoạch cán bộ lãnh đạo, quản lý giai đoạn 2026–2031",
    "Về việc thực hiện chữ ký số trên văn bản điện tử của cơ quan hành chính",
    "Về việc lập dự toán ngân sách nhà nước năm {next_year}",
    "Về việc kiểm tra công tác văn thư, lưu trữ năm {year}",
    "Về việc hướng dẫn thực hiện thủ tục hành chính trên Cổng dịch vụ công",
    "Về việc đăng ký nhu cầu đào tạo, bồi dưỡng cán bộ, công chức",
    "Về việc báo cáo tình hình giải ngân vốn đầu tư công",
    "Về việc phối hợp tổ chức kỳ thi tốt nghiệp trung học phổ thông năm {year}",
    "Về việc phòng, chống dịch bệnh sốt xuất huyết trên địa bàn tỉnh",
    "Về việc cung cấp thông tin phục vụ xây dựng cơ sở dữ liệu dân cư",
    "Về việc triển khai hệ thống văn phòng điện tử đến cấp xã",
    "Về việc đề nghị cử cán bộ tham dự lớp tập huấn kỹ năng số",
    "Về việc kiện toàn Ban Chỉ đạo chuyển đổi số tỉnh Bình Sơn",
]

TYPED_SUBJECTS = {
    "QD": "Quyết định ban hành Quy chế quản lý, vận hành hệ thống quản lý văn bản và điều hành",
    "KH": "Kế hoạch triển khai Đề án phát triển ứng dụng dữ liệu dân cư năm {year}",
    "TB": "Thông báo kết luận của Chủ tịch UBND tỉnh tại cuộc họp giao ban",
    "BC": "Báo cáo tình hình thực hiện nhiệm vụ phát triển kinh tế – xã hội tháng {month}",
    "GM": "Giấy mời dự Hội nghị trực tuyến về chuyển đổi số",
    "TTR": "Tờ trình đề nghị phê duyệt danh mục dự án đầu tư công năm {next_year}",
}
