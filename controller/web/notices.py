"""Short notices shown after a redirect ("saved", "sent for approval")."""

from __future__ import annotations

from fastapi import Request

# Short notices after a redirect, chosen by a code in the URL (never text from the URL itself).
NOTICES = {
    "da-them-nguon": "Đã thêm nguồn tiếp sóng; luồng đã được nghe thử và có âm thanh.",
    "da-xoa-nguon": "Đã xóa nguồn tiếp sóng.",
    "da-tao": "Đã lưu bản nháp. Hãy nghe thử rồi gửi duyệt.",
    "da-gui": "Đã gửi bản tin đi duyệt.",
    "da-sua": "Đã lưu thay đổi.",
    "duyet-lai": "Đã lưu thay đổi. Bản tin đã được gửi duyệt lại và tạm ngừng phát cho đến khi được duyệt.",
    "da-tai-len": "Đã tải lên bản ghi âm; bản tin sẽ phát bản ghi này.",
    "da-duyet": "Đã duyệt bản tin. Âm thanh đã sẵn sàng để lên lịch phát.",
    "da-luu-ban-dich": "Đã lưu bản dịch. Bản dịch được duyệt cùng bản tin.",
    "duyet-lai-ban-dich": (
        "Đã lưu bản dịch. Bản tin đã được gửi duyệt lại cùng mọi bản dịch và tạm ngừng phát cho đến khi được duyệt."
    ),
    "da-tai-len-ban-dich": (
        "Đã tải lên bản ghi âm cho bản dịch (nếu bản tin đã được duyệt, bản tin được gửi duyệt lại)."
    ),
    "da-bo-ghi-am-ban-dich": "Đã bỏ bản ghi âm: bản dịch sẽ được đọc từ văn bản khi duyệt.",
    "da-xoa-ban-dich": "Đã xoá bản dịch. Bản dịch này không còn được phát.",
    "da-tu-choi": "Đã từ chối bản tin và gửi lý do cho người soạn.",
    "da-len-lich": "Đã lên lịch phát. Các cụm loa sẽ nhận lịch mới trong giây lát.",
    "da-xep-lich": "Đã xếp vào khung giờ. Các cụm loa sẽ nhận lịch mới trong giây lát.",
    "da-go-lich": "Đã gỡ nội dung khỏi khung giờ.",
    "da-them-khung-gio": "Đã thêm khung giờ phát.",
    "da-xoa-khung-gio": "Đã xoá khung giờ phát.",
    "da-dat-gio-yen-lang": "Đã lưu giờ yên lặng. Tin thường rơi vào giờ này sẽ không được phát.",
    "da-dat-toan-tinh": "Đã đặt bản tin vào lịch của các xã. Các cụm loa sẽ nhận lịch mới trong giây lát.",
    "da-go-toan-tinh": "Đã gỡ chương trình khỏi lịch của mọi xã.",
    "da-huy-phat": "Đã huỷ lịch phát. Nếu bản tin đang phát, các cụm loa sẽ dừng ngay.",
    "da-xac-nhan-canh-bao": "Đã xác nhận cảnh báo. Tin khẩn cấp đang được phát trên các cụm loa của vùng cảnh báo.",
    "da-ket-thuc-khan-cap": "Đã kết thúc phát khẩn cấp. Các cụm loa trở lại lịch phát thường.",
    "da-doi-mat-khau": "Đã đổi mật khẩu. Mọi phiên đăng nhập khác (máy khác, ứng dụng dùng API) đã kết thúc.",
    "da-dang-xuat-noi-khac": "Đã đăng xuất khỏi mọi thiết bị khác.",
    "da-dat-lai-mat-khau": "Đã đặt lại mật khẩu. Người dùng đã bị đăng xuất khỏi mọi nơi.",
    "da-khoa": "Đã khoá tài khoản. Người dùng đã bị đăng xuất khỏi mọi nơi và không đăng nhập được nữa.",
    "da-mo-khoa": "Đã mở khoá tài khoản.",
    "da-dang-xuat-nguoi-dung": "Người dùng đã bị đăng xuất khỏi mọi nơi.",
    "da-xoa-nguoi-dung": "Đã xoá người dùng.",
}


def notices(request: Request) -> list[str]:
    code = request.query_params.get("tb", "")
    return [NOTICES[code]] if code in NOTICES else []
