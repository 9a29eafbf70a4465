"""Korean text of menus, labels and documents: the punctuation-dense kinds of the text stream.

Signboards are mostly short names; menus, food labels, receipts, notices and forms are
lines of ``:`` ``,`` ``.`` ``·`` ``()`` ``[]`` ``~`` ``-`` ``/`` ``%`` ``₩`` between Hangul,
Latin units and digits. Each maker here takes the :class:`~krocr.synth.text.TextSource`
and returns one such line (it draws only from ``source.rng``, so the stream stays
deterministic); :data:`FORM_MAKERS` maps the kind names to them and ``text.py`` gives the
kinds their shares. Lines are built to fit 40 characters; the stream still checks length,
charset and fonts, and redraws what fails.

The charset has no circled digits (①②③), ``;``, ``=``, ``×`` or ``㎎``: options are
written ``(1)`` / ``1)``, multiplication ``x`` and milligrams ``mg``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from krocr.synth.text import TextSource

T = TypeVar("T")
MAX_LINE = 40  # the stream's default max_length: lines are built to fit it
WEEKDAY_NAMES = "월화수목금토일"  # datetime.date.weekday() order


def words(text: str) -> tuple[str, ...]:
    """The space-separated words of ``text``: how the word lists below are written."""
    return tuple(text.split())


# ---- vocabulary ------------------------------------------------------------------------------
INGREDIENTS = words(
    "밀가루 설탕 정제소금 대두유 팜유 옥수수전분 물엿 포도당 탈지분유 전지분유 전란액 버터 마가린 쇼트닝 쌀 찹쌀 "
    "보리 감자전분 간장 된장 고추장 고춧가루 마늘 양파 생강 후추 참기름 들기름 식초 올리고당 코코아분말 정제수 "
    "효모 젤라틴 구연산 돼지고기 쇠고기 닭고기 오징어 새우 멸치 미역 다시마 배추 대파 당근 양배추 호박 "
    "땅콩 아몬드 호두 참깨 우유 치즈 크림 계란 꿀 사과농축액 토마토페이스트 카레분 혼합제제 합성향료"
)
ORIGINS = words("국산 국내산 미국산 호주산 중국산 베트남산 칠레산 캐나다산 브라질산 태국산 외국산 수입산")
ALLERGENS = words("밀 대두 우유 달걀 땅콩 메밀 고등어 게 새우 돼지고기 복숭아 토마토 호두 닭고기 쇠고기 오징어 잣")
COMPOUNDS = (  # compound ingredient, the part whose origin a label names
    ("간장", "대두"),
    ("배추김치", "배추"),
    ("배추김치", "고춧가루"),
    ("고추장", "고춧가루"),
    ("된장", "대두"),
    ("카레분", "강황"),
    ("어묵", "연육"),
    ("햄", "돼지고기"),
    ("물엿", "옥수수"),
)
ORIGIN_DISHES = words("쌀 배추김치 돼지고기 쇠고기 닭고기 오리고기 고춧가루 낙지 오징어 주꾸미 장어 명태 콩")
STORAGE = ("냉장보관(0~10℃)", "냉동보관(-18℃ 이하)", "실온보관", "직사광선을 피해 서늘한 곳에 보관")
FOOD_TYPES = words("과자 캔디류 빵류 즉석조리식품 소스 음료베이스 유가공품 기타가공품 라면 만두 어묵 두부 김치")

# name, unit, typical amount range and the daily value it takes 1 % per (None: no %)
NUTRIENTS: tuple[tuple[str, str, int, int, float | None], ...] = (
    ("열량", "kcal", 20, 900, None),
    ("나트륨", "mg", 5, 1800, 20.0),
    ("탄수화물", "g", 0, 90, 3.24),
    ("당류", "g", 0, 60, 1.0),
    ("지방", "g", 0, 40, 0.54),
    ("트랜스지방", "g", 0, 1, None),
    ("포화지방", "g", 0, 20, 0.15),
    ("콜레스테롤", "mg", 0, 300, 3.0),
    ("단백질", "g", 0, 40, 0.55),
    ("식이섬유", "g", 0, 12, 0.25),
    ("칼슘", "mg", 0, 400, 7.0),
)

PRODUCE = words(
    "감자 고구마 양파 대파 마늘 당근 배추 무 오이 애호박 사과 배 감귤 딸기 포도 수박 참외 토마토 버섯 상추 깻잎"
)
LIQUID_GOODS = words("생수 우유 두유 주스 콜라 사이다 식용유 간장 식초 맥주 요구르트 샴푸 세제 탄산수")
WEIGHED_GOODS = words("식빵 즉석밥 참치 햄 소시지 치즈 두부 고추장 된장 설탕 커피 쌀 현미 멸치 어묵 만두 과자")
COUNTED_GOODS = (
    "계란 30구",
    "계란 15구",
    "휴지 30롤",
    "물티슈 100매",
    "라면 5개입",
    "김 10봉",
    "치약 3개",
    "녹차 25포",
)
FRUITS = words("사과 배 감귤 참외 복숭아 한라봉 멜론 자몽")
MEATS = words("삼겹살 목살 앞다리살 갈비 등심 안심 차돌박이 우삼겹 불고기 닭가슴살 닭다리 오리훈제")
BEEF_CUTS = words("등심 안심 채끝 갈비 차돌박이 불고기 국거리 장조림 사태")
MEAT_ORIGINS = words("국내산 국산 미국산 호주산 캐나다산 칠레산 수입산")
PRODUCE_PREFIXES = words("국산 국내산 햇 유기농 무농약 친환경 제주 신선 GAP 못난이")
GOODS_PREFIXES = words("대용량 저지방 무가당 유기농 냉장 냉동 수입 국산")
GRADES = ("(특)", "(상)", "(대)", "(중)", "(소)", "특품", "상품", "가정용", "선물용")
WEIGHT_UNITS = ("g", "g", "kg", "㎏")
VOLUME_UNITS = ("ml", "mL", "L", "㎖")
COUNT_UNITS = ("개", "개입", "입", "구", "봉", "팩", "매", "롤", "병", "캔", "포")

PORTIONS = ("1인분", "2인분", "1인", "한 그릇", "한 접시", "1잔", "1병", "1개", "1마리", "반마리", "1판", "1근")
MENU_PORTIONS = ("1인분", "2인분", "3인분", "(소)", "(중)", "(대)", "곱빼기", "한 그릇")
SIZES = ("소", "중", "대", "특")
MENU_ITEMS = words(
    "김치찌개 된장찌개 비빔밥 불고기 제육볶음 순두부 떡볶이 김밥 냉면 짬뽕 짜장면 탕수육 아메리카노 카페라떼 "
    "생맥주 소주 후라이드 양념치킨 돈까스 칼국수 만두 삼겹살 갈비탕 설렁탕 공기밥 라면 족발 보쌈 파전 모둠전"
)
# what signs and menus join with & or +: shop kinds (헤어&네일), dishes (치킨&맥주) and sets
SERVICES = words(  # what clinics, salons and repair shops list on their signs, divided by | · /
    "탈모치료 모발이식 두피관리 피부관리 레이저 보톡스 필러 물리치료 도수치료 체형교정 건강검진 예방접종 내시경 "
    "초음파 커트 펌 염색 클리닉 네일아트 속눈썹연장 반영구 왁싱 PT 필라테스 요가 다이어트 수선 세탁 열쇠 도장 "
    "복사 제본 인쇄 택배 임플란트 교정 미백 스케일링 한방 침 뜸 추나 상담 예약"
)
SHOP_PAIRS = words(
    "헤어 네일 카페 베이커리 브런치 펍 와인 치킨 맥주 피자 파스타 스테이크 바베큐 다이닝 스튜디오 뷰티 "
    "스킨케어 왁싱 속눈썹 피부 필라테스 요가 PT 키즈 베이비 커피 디저트 꽃 가드닝 리빙 인테리어"
)
SHOP_SUFFIXES = ("샵", "전문점", "하우스", "스토리", "라운지", "카페")
LATIN_PAIRS = words("DRINK MUSIC FOOD BEER WINE COFFEE BAKERY HAIR NAIL SPA BAR PUB GRILL CHICKEN PIZZA BOOKS")
SET_NAMES = ("세트", "SET", "정식", "콤보", "세트메뉴")
LATIN_CAPITALS = "ABCDEFGHJKLMNPRSTW"
EXTRAS = ("추가", "곱빼기", "사리 추가", "면 추가", "공기밥 추가", "치즈 추가", "샷 추가", "포장 용기")
PRICE_NOTES = ("2인 이상", "부가세 포함", "VAT 별도", "포장 가능", "국내산")

EXPIRY_LABELS = ("유통기한", "소비기한", "판매기한", "사용기한", "품질유지기한")
MADE_LABELS = ("제조일자", "제조일", "포장일", "포장일자", "발행일", "작성일", "일시")
PERIOD_LABELS = ("접수기간", "신청기간", "행사기간", "기간", "공사기간", "휴가")
TIME_LABELS = ("영업시간", "운영시간", "점심시간", "브레이크타임", "평일", "주말", "토요일", "접수시간", "진료시간")

CITY_DISTRICTS = (
    "서울시 강남구",
    "서울시 마포구",
    "서울시 종로구",
    "서울 중구",
    "서울 송파구",
    "서울특별시 영등포구",
    "부산시 해운대구",
    "부산광역시 부산진구",
    "대구시 수성구",
    "인천시 연수구",
    "광주시 북구",
    "대전시 유성구",
    "울산시 남구",
    "수원시 영통구",
    "성남시 분당구",
    "고양시 일산동구",
    "전주시 덕진구",
    "경기도 용인시 수지구",
    "경기도 파주시",
    "충북 청주시 상당구",
    "제주시",
)
DONGS = words("역삼동 서교동 신사동 정자동 중앙동 삼성동 합정동 대치동 연희동 구로동 상계동 부전동 범어동")
ROADS = words("테헤란로 세종대로 양화로 중앙로 역삼로 대학로 번영로 시청로 문화로 평화로 희망로")
BUILDINGS = words("타워 빌딩 프라자 센터 오피스텔 상가 아파트 타운")
EMAIL_HOSTS = ("naver.com", "daum.net", "gmail.com", "hanmail.net", "kakao.com", "korea.kr")
EMAIL_NAMES = words("info help kim lee park admin office contact sales master")
CONTACT_LABELS = ("전화", "TEL", "Tel.", "T.", "팩스", "FAX", "F.", "H.P", "휴대폰", "연락처", "고객센터", "문의")
SURNAMES = words("김 이 박 최 정 강 조 윤 장 임 한 오 서 신 권 황 안 송")
GIVEN_NAMES = words("민수 영희 철수 지영 현우 수진 성민 은지 정훈 미경 동현 혜진 서연 지훈 하은 도윤")
COMPANY_WORDS = words("행복 한빛 미래 대한 우리 새롬 푸른 하나 으뜸 다온 한결 누리")
COMPANY_TYPES = words("상사 식품 유통 물산 산업 건설 무역 기획 상회 마트 제과 농산")

FORM_FIELDS = words(
    "성명 이름 생년월일 주소 연락처 전화번호 휴대전화 이메일 소속 직위 학교 학년 반 번호 학번 수험번호 "
    "신청인 보호자 대표자 담당자 작성일 신청일 서명 비고 성별 관계 국적 부서 과목 점수"
)
EXAM_QUESTIONS = (
    "다음 중 옳은 것은?",
    "다음 중 옳지 않은 것은?",
    "다음 중 알맞은 것은?",
    "밑줄 친 부분의 뜻으로 알맞은 것은?",
    "빈칸에 들어갈 말로 알맞은 것은?",
    "다음 글의 주제로 가장 적절한 것은?",
    "다음 물음에 답하시오.",
    "다음 글을 읽고 물음에 답하시오.",
    "알맞은 답을 고르시오.",
    "다음 빈칸에 알맞은 말을 쓰시오.",
    "틀린 것을 모두 고르시오.",
    "그 이유를 쓰시오.",
)
OPTION_MARKS = (
    words("(1) (2) (3) (4) (5)"),
    words("1) 2) 3) 4) 5)"),
    words("가. 나. 다. 라."),
)  # no ①②③ in the charset
FORM_LINES = (
    "※ 해당란에 ○표 하시오.",
    "※ 뒷면의 작성방법을 읽고 작성하십시오.",
    "위와 같이 신청합니다.",
    "위 내용이 사실임을 확인합니다.",
    "상기 금액을 정히 영수합니다.",
    "개인정보 수집 및 이용에 동의합니다.",
    "□ 동의함 □ 동의하지 않음",
    "□ 예 □ 아니오",
    "성별: □ 남 □ 여",
    "(서명 또는 인)",
    "담당자 확인란",
    "접수번호",
    "처리기간: 즉시",
)

NOTICES = (
    "매장 내 취식이 불가합니다.",
    "반려동물 출입을 금합니다.",
    "이용에 불편을 드려 죄송합니다.",
    "잠시 자리를 비웠습니다.",
    "주차는 건물 뒤편을 이용해 주세요.",
    "외부 음식 반입을 금지합니다.",
    "본 제품은 교환 및 환불이 불가합니다.",
    "아래와 같이 안내드립니다.",
    "문의 사항은 고객센터로 연락 바랍니다.",
    "이곳은 금연구역입니다.",
    "CCTV 녹화 중입니다.",
    "관계자 외 출입을 금합니다.",
    "엘리베이터 점검 중입니다.",
    "귀중품 보관에 주의하시기 바랍니다.",
    "계단을 이용해 주시기 바랍니다.",
    "카드 결제만 가능합니다.",
    "현금영수증 발급 가능합니다.",
    "영업시간이 변경되었습니다.",
    "재료 소진 시 조기 마감합니다.",
    "모든 메뉴는 포장이 가능합니다.",
    "손을 깨끗이 씻어 주세요.",
    "사용 후 제자리에 놓아 주세요.",
    "문을 꼭 닫아 주세요.",
    "조용히 해 주시기 바랍니다.",
    "개인정보는 안전하게 보호됩니다.",
    "쓰레기는 분리해서 버려 주세요.",
    "자세한 내용은 홈페이지를 참고하세요.",
    "공사 중이오니 양해 바랍니다.",
)
NOTICE_MARKS = ("", "", "", "※ ", "* ", "- ", "■ ", "● ", "[안내] ", "[공지] ", "<공지> ", "「알림」 ")

RECEIPT_HEADS = ("[영수증]", "영수증", "[카드 매출전표]", "[고객용]", "[재발행]", "현금(소득공제)", "간이영수증")
RECEIPT_TOTALS = ("합계", "합계금액", "총 금액", "총액", "받을금액", "결제금액", "판매금액", "청구금액")
PAYMENTS = ("카드", "현금", "신용카드", "체크카드", "간편결제", "계좌이체")
RECEIPT_ITEMS = words(
    "아메리카노 카페라떼 생수 우유 삼각김밥 컵라면 바나나우유 식빵 과자 아이스크림 맥주 소주 콜라 봉투 "
    "김치찌개 공기밥 돈까스 짜장면 치킨 떡볶이 순대 튀김"
)


# ---- helpers ---------------------------------------------------------------------------------
def fit(parts: Sequence[str], sep: str, limit: int = MAX_LINE, head: str = "") -> str:
    """``head`` and as many of ``parts`` joined by ``sep`` as fit in ``limit`` characters
    (the first part always)."""
    line = head + parts[0]
    for part in parts[1:]:
        if len(line) + len(sep) + len(part) > limit:
            break
        line += sep + part
    return line


def amount(s: TextSource, low: int, high: int) -> int:
    """A shop price between ``low`` and ``high`` won: whole hundreds, often ending in 900 or 000."""
    value = int(s.rng.integers(low // 100, high // 100 + 1)) * 100
    ending = s.pick((value, value, (value // 1000) * 1000 + 900, (value // 1000) * 1000, (value // 500) * 500))
    return max(ending, 100)


def distinct(s: TextSource, options: Sequence[T], k: int) -> list[T]:
    """``k`` different entries of ``options`` (all of them if there are fewer), in random order."""
    return [options[int(i)] for i in s.rng.choice(len(options), size=min(k, len(options)), replace=False)]


def won(value: int) -> str:
    """An amount with thousands separators: 12,000."""
    return f"{value:,}"


def a_date(s: TextSource) -> datetime.date:
    """A day between 2019 and 2027, so the weekday of a written date is the real one."""
    start = datetime.date(2019, 1, 1).toordinal()
    return datetime.date.fromordinal(start + int(s.rng.integers(0, 9 * 365)))


def written_date(s: TextSource, day: datetime.date, style: int | None = None) -> str:
    """``day`` as Korean labels and documents write it: 2024.03.15, 2024년 3월 15일(금), 24.03.15 ...;
    ``style`` (0 to ``DATE_STYLES - 1``) fixes the form, e.g. for both ends of a range."""
    weekday = WEEKDAY_NAMES[day.weekday()]
    y, m, d = day.year, day.month, day.day
    forms = (
        f"{y}.{m:02d}.{d:02d}",
        f"{y}.{m:02d}.{d:02d}",
        f"{y}. {m}. {d}.",
        f"{y}-{m:02d}-{d:02d}",
        f"{y % 100:02d}.{m:02d}.{d:02d}",
        f"{y}년 {m}월 {d}일",
        f"{y}년 {m}월 {d}일({weekday})",
        f"{m}월 {d}일({weekday})",
        f"{m}.{d}({weekday})",
        f"{m:02d}/{d:02d}({weekday})",
        f"{y}/{m:02d}/{d:02d}",
    )
    return forms[int(s.rng.integers(DATE_STYLES)) if style is None else style]


DATE_STYLES = 11  # how many forms written_date knows


def person(s: TextSource) -> str:
    """A Korean full name: 김민수."""
    return s.pick(SURNAMES) + s.pick(GIVEN_NAMES)


def phone_number(s: TextSource) -> str:
    """A Korean phone number as documents print it."""
    return s.pick(
        (
            f"02-{s.digits(3)}-{s.digits(4)}",
            f"0{int(s.rng.integers(31, 65))}-{s.digits(3)}-{s.digits(4)}",
            f"010-{s.digits(4)}-{s.digits(4)}",
            f"{s.pick(('1588', '1577', '1544', '1644'))}-{s.digits(4)}",
            f"070-{s.digits(4)}-{s.digits(4)}",
            f"({s.pick(('02', '031', '051'))}) {s.digits(3)}-{s.digits(4)}",
        )
    )


def weight(s: TextSource) -> str:
    """A weight on a label: 500g, 2kg, 3㎏."""
    unit = s.pick(WEIGHT_UNITS)
    return f"{s.pick(_GRAMS)}{unit}" if unit == "g" else f"{s.pick(_KILOGRAMS)}{unit}"


def volume(s: TextSource) -> str:
    """A volume on a label: 500ml, 1.5L, 1,000㎖."""
    unit = s.pick(VOLUME_UNITS)
    return f"{s.pick(_LITRES)}{unit}" if unit == "L" else f"{s.pick(_MILLILITRES)}{unit}"


def quantity(s: TextSource) -> str:
    """A size or count on a label: 500g, 1.5L, 2kg, 30구, 6입."""
    u = s.rng.random()
    if u < 0.4:
        return weight(s)
    if u < 0.7:
        return volume(s)
    return f"{s.pick((1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 24, 30))}{s.pick(COUNT_UNITS)}"


_GRAMS = (50, 80, 100, 120, 150, 200, 250, 300, 400, 500, 600, 800)
_KILOGRAMS = ("1", "2", "3", "5", "10", "1.5", "2.5")
_MILLILITRES = ("180", "200", "250", "330", "350", "355", "500", "750", "900", "1,000")
_LITRES = ("1", "1.5", "2", "0.5", "1.8")
_PACKS = ("2입", "4입", "6입", "10개", "12개", "20개입", "24개", "30개입", "3팩", "5봉")


# ---- kinds -----------------------------------------------------------------------------------
def ingredients(s: TextSource) -> str:
    """Ingredient, origin and allergen lines of food labels and menu boards:
    ``원재료명: 밀가루(미국산), 설탕, 정제소금``, ``원산지: 쌀(국내산), 배추김치(배추:중국산)``."""
    u = s.rng.random()
    if u < 0.4:
        parts = [_ingredient(s, name) for name in distinct(s, INGREDIENTS, int(s.rng.integers(2, 9)))]
        return fit(parts, ", ", head=s.pick(("원재료명: ", "원재료명 : ", "원재료: ", "[원재료명] ", "")))
    if u < 0.55:
        return f"{s.pick(('', '[원산지] ', '원산지 - '))}{s.pick(ORIGIN_DISHES)}: {s.pick(ORIGINS)}"
    if u < 0.7:
        parts = [f"{dish}({s.pick(ORIGINS)})" for dish in distinct(s, ORIGIN_DISHES, int(s.rng.integers(1, 5)))]
        head = s.pick(("원산지: ", "원산지 : ", "[원산지 표시] ", ""))
        return fit(parts, s.pick((", ", ", ", " / ", " · ")), head=head)
    if u < 0.85:
        parts = distinct(s, ALLERGENS, int(s.rng.integers(1, 6)))
        listed = fit(parts, s.pick((", ", ", ", "·")), limit=MAX_LINE - 14)
        return s.pick((f"알레르기 유발물질: {listed} 함유", f"{listed} 함유", f"[알레르기] {listed}"))
    return s.pick(
        (
            f"보관방법: {s.pick(STORAGE)}",
            s.pick(STORAGE),
            f"식품유형: {s.pick(FOOD_TYPES)}",
            f"내용량: {quantity(s)}",
            f"내용량 {s.pick(_GRAMS)}g({s.pick((50, 100, 125))}g x {int(s.rng.integers(2, 7))}개)",
        )
    )


def _ingredient(s: TextSource, name: str) -> str:
    """One entry of an ingredient list: 밀가루, 밀가루(미국산), 간장(대두:외국산), 설탕(12.5%)."""
    u = s.rng.random()
    if u < 0.3:
        return f"{name}({s.pick(ORIGINS)})"
    if u < 0.4:
        compound, part = COMPOUNDS[int(s.rng.integers(len(COMPOUNDS)))]
        return f"{compound}({part}:{s.pick(ORIGINS)})"
    if u < 0.5:
        return f"{name}({int(s.rng.integers(1, 100))}.{s.digits(1)}%)"
    return name


def nutrition(s: TextSource) -> str:
    """Nutrition facts: ``나트륨 120mg (6%)``, ``탄수화물 23g 7%``, ``총 내용량 500g 250kcal``."""
    u = s.rng.random()
    if u < 0.7:
        parts = [_nutrient(s, nutrient) for nutrient in distinct(s, NUTRIENTS, int(s.rng.integers(1, 4)))]
        return fit(parts, s.pick((" / ", ", ", " · ", " ")))
    return s.pick(
        (
            f"총 내용량 {s.pick(_GRAMS)}g",
            f"총 내용량 {s.pick(_GRAMS)}g {int(s.rng.integers(50, 900))}kcal",
            f"1회 제공량 {s.pick((20, 25, 30, 40, 100))}g당",
            f"{s.pick((30, 100, 200))}{s.pick(('g', 'ml'))}당 {int(s.rng.integers(20, 600))}kcal",
            "1일 영양성분 기준치에 대한 비율(%)",
            "영양정보",
            f"영양정보 (1봉지 {s.pick(_GRAMS)}g당)",
        )
    )


def _nutrient(s: TextSource, nutrient: tuple[str, str, int, int, float | None]) -> str:
    """One nutrient with its amount and, where it has one, its % of the daily value."""
    name, unit, low, high, per_percent = nutrient
    value = int(s.rng.integers(low, high + 1))
    shown = f"{value}.{s.digits(1)}" if unit == "g" and value < 10 and s.chance(0.4) else str(value)
    if per_percent is None:
        return f"{name} {shown}{unit}"
    percent = round(value / per_percent)
    return f"{name} {shown}{unit}{s.pick((f' ({percent}%)', f' {percent}%', f'({percent}%)'))}"


def unit_price(s: TextSource) -> str:
    """Prices with their portion, weight or size: ``1인분 12,000원``, ``500g / 9,900원``,
    ``(소) 8,000 (대) 12,000``, ``100g당 2,380원``."""
    price = won(amount(s, 1000, 60000))
    shown = s.pick((f"{price}원", f"{price}원", price, f"₩{price}", f"₩{price}"))
    u = s.rng.random()
    if u < 0.2:
        return f"{s.pick(PORTIONS)} {shown}"
    if u < 0.35:
        return f"{s.pick(_GRAMS)}g{s.pick((' / ', ' ', '당 '))}{shown}"
    if u < 0.5:
        return _sized_prices(s)
    if u < 0.65:
        menu = s.pick(MENU_ITEMS)
        return s.pick(
            (
                f"{menu}({s.pick(_GRAMS)}g) {price}원",
                f"{menu} {s.pick(MENU_PORTIONS)} {price}",
                f"{menu} ₩{price}",
                f"{menu} ..... {price}",
                f"{menu}: {price}원",
            )
        )
    if u < 0.8:
        return s.pick(
            (
                f"{s.pick(EXTRAS)} +{won(amount(s, 500, 5000))}원",
                f"{price}원 ({s.pick(PRICE_NOTES)})",
                f"[{s.pick(('특가', '할인', '행사', '세일'))}] {price}원",
                f"정가 {price}원 → {won(amount(s, 1000, 50000))}원",
                f"개당 {won(amount(s, 100, 3000))}원",
                f"{int(s.rng.integers(2, 6))}개 {price}원",
                f"1+1 {price}원",
                f"{price}원~",
            )
        )
    return f"{quantity(s)} {shown}"


def _sized_prices(s: TextSource) -> str:
    """Prices by size, rising: ``(소) 8,000 (대) 12,000``, ``소·중·대 8,000 / 10,000 / 12,000``."""
    count = int(s.rng.integers(2, 4))
    sizes = SIZES[:count] if count < 3 or s.chance(0.5) else ("소", "중", "대")
    base, step = amount(s, 3000, 30000), amount(s, 1000, 6000)
    prices = [won(base + i * step) for i in range(len(sizes))]
    if s.chance(0.4):
        return f"{'·'.join(sizes)} {s.pick(('', '', '₩'))}{' / '.join(prices)}"
    wrap = s.pick(("({})", "[{}]", "{}:", "{}"))
    return " ".join(f"{wrap.format(size)} {price}" for size, price in zip(sizes, prices))


def dates(s: TextSource) -> str:
    """Dates, expiry lines and times of labels, notices and menus: ``2024.03.15``,
    ``유통기한: 2025.01.31까지``, ``11:30~21:00 (라스트오더 20:30)``."""
    day = a_date(s)
    u = s.rng.random()
    if u < 0.3:
        return written_date(s, day)
    colon = s.pick((": ", " : ", " "))
    if u < 0.45:
        return f"{s.pick(EXPIRY_LABELS)}{colon}{written_date(s, day)}{s.pick(('', '', '까지', ' 까지'))}"
    if u < 0.55:
        return f"{s.pick(MADE_LABELS)}{colon}{written_date(s, day)}"
    if u < 0.7:
        later = day + datetime.timedelta(days=int(s.rng.integers(1, 60)))
        style = int(s.rng.integers(DATE_STYLES))
        span = f"{written_date(s, day, style)}{s.pick((' ~ ', '~', ' - '))}{written_date(s, later, style)}"
        head = s.pick(("", f"{s.pick(PERIOD_LABELS)}{colon}"))
        return head + span if len(head) + len(span) <= MAX_LINE else span
    return _opening_times(s)


def _opening_times(s: TextSource) -> str:
    """Opening hours and closing days as menus and doors print them."""
    start, end = int(s.rng.integers(6, 13)), int(s.rng.integers(17, 24))
    minutes = s.pick(("00", "30"))
    span = f"{start:02d}:{minutes}{s.pick(('~', ' ~ ', '-'))}{end:02d}:00"
    return s.pick(
        (
            f"{span} (라스트오더 {end - 1}:30)",
            f"{span} (L.O {end - 1}:30)",
            f"{s.pick(TIME_LABELS)}: {span}",
            f"{s.pick(TIME_LABELS)} {span}",
            f"평일 {span} / 토 {start:02d}:00~13:00",
            f"오전 {start}시 ~ 오후 {end - 12}시",
            "브레이크타임 15:00~17:00",
            f"매주 {s.pick(WEEKDAY_NAMES)}요일 휴무",
            f"※ 매월 {s.pick(('첫째', '둘째'))}·{s.pick(('셋째', '넷째'))} {s.pick(WEEKDAY_NAMES)}요일 휴무",
        )
    )


def contact(s: TextSource) -> str:
    """Addresses, phone numbers and business details in document form:
    ``주소: 서울시 마포구 양화로 45, 3층``, ``T. 02-123-4567 / F. 02-123-4568``."""
    u = s.rng.random()
    if u < 0.35:
        return f"{s.pick(('주소: ', '주소 : ', '(주소) ', '소재지: ', ''))}{_address(s)}"
    if u < 0.6:
        first = f"{s.pick(CONTACT_LABELS)}{s.pick((' ', ': ', ' : '))}{phone_number(s)}"
        if s.chance(0.4):
            return fit([first, f"{s.pick(('F.', 'FAX', '팩스'))} {phone_number(s)}"], " / ")
        return first
    return s.pick(
        (
            f"(우) {s.digits(5)}",
            f"우편번호: {s.digits(5)}",
            f"E-mail: {s.pick(EMAIL_NAMES)}@{s.pick(EMAIL_HOSTS)}",
            f"이메일: {s.pick(EMAIL_NAMES)}{s.digits(2)}@{s.pick(EMAIL_HOSTS)}",
            f"사업자등록번호: {s.digits(3)}-{s.digits(2)}-{s.digits(5)}",
            f"사업자번호 {s.digits(3)}-{s.digits(2)}-{s.digits(5)}",
            f"대표: {person(s)}",
            f"대표자 {person(s)} · {s.pick(COMPANY_WORDS)}{s.pick(COMPANY_TYPES)}",
            f"상호: {s.pick(COMPANY_WORDS)}{s.pick(COMPANY_TYPES)}",
            f"(주){s.pick(COMPANY_WORDS)}{s.pick(COMPANY_TYPES)}",
            f"고객센터 {phone_number(s)} (평일 09:00~18:00)",
            f"www.{s.pick(EMAIL_NAMES)}.co.kr",
        )
    )


def _address(s: TextSource) -> str:
    """A road or lot-number address with an optional floor or unit:
    ``서울시 마포구 양화로 45, 3층``, ``성남시 분당구 정자동 178-1 101동 1203호``."""
    city_district = s.pick(CITY_DISTRICTS)
    floor = int(s.rng.integers(1, 20))
    if s.chance(0.25):  # a building: floors only
        building = (
            f"{s.pick(COMPANY_WORDS)}{s.pick(BUILDINGS)}{s.pick(('', f' {floor}층', f' {floor}0{floor % 9 + 1}호'))}"
        )
        return f"{city_district.split()[-1]} {s.pick(DONGS)} {building}"
    number = f"{int(s.rng.integers(1, 999))}{s.pick(('', f'-{int(s.rng.integers(1, 40))}'))}"
    street = s.pick(ROADS) if s.chance(0.55) else s.pick(DONGS)
    unit = s.pick(
        (
            "",
            f", {floor}층",
            f" {floor}층",
            f" {int(s.rng.integers(101, 120))}동 {floor}0{int(s.rng.integers(1, 5))}호",
            f" ({s.pick(DONGS)})",
            f", {s.pick(COMPANY_WORDS)}{s.pick(BUILDINGS)} {floor}층",
        )
    )
    return fit([f"{city_district} {street} {number}", unit], "")


def product(s: TextSource) -> str:
    """Product names with their size, count or grade: ``국산 햇감자 1kg``, ``생수 2L x 6입``."""
    u = s.rng.random()
    if u < 0.3:
        name = f"{s.pick(PRODUCE_PREFIXES)} {s.pick(PRODUCE)}"
        return f"{name} {s.pick((weight(s), f'{s.pick(_KILOGRAMS)}kg', s.pick(GRADES), f'{s.pick(_PACKS)}'))}"
    if u < 0.6:
        return _packaged(s)
    if u < 0.85:
        meat, origin = s.pick(MEATS), s.pick(MEAT_ORIGINS)
        return s.pick(
            (
                f"{origin} {meat} {s.pick(_GRAMS)}g",
                f"{origin} {meat} 100g",
                f"{meat}({origin}) {s.pick(('1kg', '500g', '600g', '1근'))}",
                f"한우 {s.pick(BEEF_CUTS)} {s.pick(('1등급', '1+등급', '1++', '2등급'))} {s.pick(_GRAMS)}g",
                f"한우 {s.pick(BEEF_CUTS)}(1++) 100g당",
            )
        )
    return s.pick(
        (
            f"{s.pick(FRUITS)} {int(s.rng.integers(3, 8))}~{int(s.rng.integers(8, 13))}과 ({s.pick((2, 3, 5))}kg)",
            f"{s.pick(COUNTED_GOODS)} {s.pick(('대용량', '묶음', '기획', '증정'))}",
            f"{s.pick(COUNTED_GOODS)} ({s.pick(('유통기한 임박', '행사상품', '무료배송'))})",
            f"[1+1] {s.pick(COUNTED_GOODS)}",
        )
    )


def _packaged(s: TextSource) -> str:
    """A packaged good with a size that suits it: 생수 2L x 6입, 두부 300g, 계란 30구."""
    u = s.rng.random()
    if u < 0.2:
        return s.pick(COUNTED_GOODS)
    name, size = (s.pick(LIQUID_GOODS), volume(s)) if u < 0.6 else (s.pick(WEIGHED_GOODS), weight(s))
    prefix = s.pick(("", "", "", "[1+1] ", f"{s.pick(GOODS_PREFIXES)} "))
    return prefix + s.pick((f"{name} {size}", f"{name} {size} x {s.pick(_PACKS)}", f"{name} {size}({s.pick(_PACKS)})"))


def combo(s: TextSource) -> str:
    """Two things joined as signs and menus join them: ``헤어&네일``, ``치킨 & 맥주``,
    ``백미밥&두부김치국``, ``짜장면+탕수육 세트 19,000원``, ``C&C``, ``DRINK & MUSIC``."""
    joint = s.pick(("&", "&", " & ", "+", " + "))
    u = s.rng.random()
    if u < 0.35:
        first, second = distinct(s, SHOP_PAIRS, 2)
        return f"{first}{joint}{second}{s.pick(('', '', ' ' + s.pick(SHOP_SUFFIXES)))}"
    if u < 0.75:
        first, second = distinct(s, MENU_ITEMS, 2)
        line = f"{first}{joint}{second}"
        return s.pick((line, line, f"{line} {s.pick(SET_NAMES)}", f"{line} {won(amount(s, 8000, 40000))}원"))
    if u < 0.9:
        first, second = (s.pick(tuple(LATIN_CAPITALS)) for _ in range(2))
        return s.pick((f"{first}&{second}", f"{first}&{second} {s.pick(SHOP_PAIRS)}", f"{s.pick(SHOP_PAIRS)}&{first}"))
    first, second = distinct(s, LATIN_PAIRS, 2)
    return f"{first}{s.pick((' & ', '&', ' AND ', ' + '))}{second}"


def divided(s: TextSource) -> str:
    """Items listed with a divider, as sign panels and headers list them: ``탈모치료 | 모발이식``,
    ``내과 · 소아과 · 피부과``, ``커트/펌/염색``; or one word spelled out letter by letter,
    ``수/선/전/문``."""
    if s.rng.random() < 0.15:
        return s.pick(("/", "·", " ", " · ")).join(s.pick(SERVICES + SHOP_PAIRS))
    items = distinct(s, s.pick((SERVICES, SERVICES, MENU_ITEMS, SHOP_PAIRS)), int(s.rng.integers(2, 5)))
    return s.pick((" | ", " | ", "|", " · ", "·", " / ", "/", ", ")).join(items)  # at most 4 × 7 + 3 × 3 = 37


def form(s: TextSource) -> str:
    """Exam and form text: ``성명:``, ``생년월일: 1990. 1. 1.``, ``1. 다음 중 옳은 것은?``,
    ``(1) 사과 (2) 구름 (3) 학교``."""
    u = s.rng.random()
    if u < 0.3:
        field = s.pick(FORM_FIELDS)
        return s.pick(
            (
                f"{field}:",
                f"{field} :",
                f"{field}: {_field_value(s, field)}",
                f"[{field}]",
                f"{field}({s.pick(('한글', '한자', '영문', '필수'))})",
            )
        )
    if u < 0.55:
        return f"{int(s.rng.integers(1, 31))}{s.pick(('. ', '. ', ') ', '번 '))}{s.pick(EXAM_QUESTIONS)}"
    if u < 0.75:
        marks = s.pick(OPTION_MARKS)
        options = [f"{mark} {s.korean_word()}" for mark in marks]
        return fit(options, " ", limit=int(s.rng.integers(12, MAX_LINE + 1)))
    return s.pick(
        (
            s.pick(FORM_LINES),
            f"[{int(s.rng.integers(1, 20))}~{int(s.rng.integers(20, 40))}] {s.pick(EXAM_QUESTIONS)}",
            f"[별지 제{int(s.rng.integers(1, 30))}호서식]",
            f"제{int(s.rng.integers(1, 40))}조({s.pick(('목적', '정의', '적용범위', '신청', '비용', '기타'))})",
            f"(배점 {int(s.rng.integers(2, 11))}점)",
            f"[{int(s.rng.integers(2, 6))}점]",
            f"정답: {int(s.rng.integers(1, 6))}번",
            f"{written_date(s, a_date(s))}",
            f"신청인: {person(s)} (서명 또는 인)",
        )
    )


def _field_value(s: TextSource, field: str) -> str:
    """A value that suits a form field: a date of birth, a phone number, a name, a score."""
    if field in ("생년월일", "작성일", "신청일"):
        born = datetime.date(int(s.rng.integers(1950, 2020)), int(s.rng.integers(1, 13)), int(s.rng.integers(1, 29)))
        return written_date(s, born)
    if field in ("연락처", "전화번호", "휴대전화"):
        return phone_number(s)
    if field == "주소":
        return _address(s)
    if field == "점수":
        return f"{int(s.rng.integers(0, 101))}점"
    if field in ("학번", "수험번호", "번호"):
        return s.digits(int(s.rng.integers(2, 9)))
    if field == "이메일":
        return f"{s.pick(EMAIL_NAMES)}@{s.pick(EMAIL_HOSTS)}"
    if field in ("성명", "이름", "신청인", "보호자", "대표자", "담당자", "서명"):
        return person(s)
    return s.korean_word()


def notice(s: TextSource) -> str:
    """Notice and document sentences ending in ``.``: ``매장 내 취식이 불가합니다.``,
    ``3월 15일(금)은 휴무입니다.``, ``※ 5만원 이상 무료배달입니다.``."""
    day = a_date(s)
    n = int(s.rng.integers(2, 10))
    sentence = s.pick(
        (
            s.pick(NOTICES),
            s.pick(NOTICES),
            s.pick(NOTICES),
            f"{day.month}월 {day.day}일({WEEKDAY_NAMES[day.weekday()]})은 휴무입니다.",
            f"{n}인 이상 예약 가능합니다.",
            f"{n}만원 이상 무료배달입니다.",
            f"주차는 {n}시간 무료입니다.",
            f"현금 결제 시 {s.pick((3, 5, 10))}% 할인됩니다.",
            f"{written_date(s, day)}부터 가격이 인상됩니다.",
            f"1인 {n}개까지 구매 가능합니다.",
            f"화장실은 {n}층에 있습니다.",
        )
    )
    mark = s.pick(NOTICE_MARKS)
    line = mark + (f"{int(s.rng.integers(1, 6))}. {sentence}" if not mark and s.chance(0.2) else sentence)
    if len(line) < 20 and s.chance(0.3):
        return fit([line, s.pick(NOTICES)], " ")
    return line


def receipt(s: TextSource) -> str:
    """Receipt lines: ``합계 23,500``, ``카드 승인 12,000원``, ``아메리카노 2 4,500 9,000``,
    ``부가세 2,136``."""
    total = amount(s, 1000, 200000)
    u = s.rng.random()
    if u < 0.3:
        shown = s.pick((won(total), won(total), f"{won(total)}원", f"₩{won(total)}", f"￦{won(total)}"))
        return f"{s.pick(RECEIPT_TOTALS)}{s.pick((' ', ': ', ' : '))}{shown}"
    if u < 0.5:
        count, unit = int(s.rng.integers(1, 5)), amount(s, 500, 20000)
        return s.pick(
            (
                f"{s.pick(RECEIPT_ITEMS)} {count} {won(unit)} {won(count * unit)}",
                f"{s.pick(RECEIPT_ITEMS)} {s.pick(('', '₩', '￦'))}{won(unit)} x {count}",
                f"{s.pick(RECEIPT_ITEMS)}({count}개) {won(count * unit)}원",
            )
        )
    if u < 0.7:
        supply = round(total / 1.1)
        return s.pick(
            (
                f"{s.pick(PAYMENTS)} 승인 {won(total)}원",
                f"{s.pick(PAYMENTS)}결제: {won(total)}",
                f"부가세 {won(total - supply)}",
                f"공급가액 {won(supply)}",
                f"과세물품가액 {won(supply)} / 부가세 {won(total - supply)}",
                f"받은금액 {won(total + amount(s, 0, 20000))}",
                f"거스름돈 {won(amount(s, 100, 10000))}",
                f"할인 -{won(amount(s, 100, 5000))}",
            )
        )
    return s.pick(
        (
            s.pick(RECEIPT_HEADS),
            f"승인번호: {s.digits(8)}",
            f"카드번호: {s.digits(4)}-{s.digits(2)}**-****-{s.digits(4)}",
            f"할부: {s.pick(('일시불', '3개월', '6개월'))}",
            f"{written_date(s, a_date(s))} {s.clock()}:{s.digits(2)}",
            f"POS:{s.digits(2)} No.{s.digits(4)}",
            f"적립 포인트 {int(s.rng.integers(1, 2000)):,}P",
            f"사업자번호 {s.digits(3)}-{s.digits(2)}-{s.digits(5)}",
            f"[{s.pick(('교환', '환불'))}] 영수증 지참 시 {int(s.rng.integers(7, 31))}일 이내",
        )
    )


FORM_MAKERS: dict[str, Callable[[TextSource], str]] = {
    "ingredients": ingredients,
    "nutrition": nutrition,
    "unit_price": unit_price,
    "date": dates,
    "contact": contact,
    "product": product,
    "combo": combo,
    "divided": divided,
    "form": form,
    "notice": notice,
    "receipt": receipt,
}
"""The kinds of this module by name; ``text.KOREAN_SHARES`` gives each its share."""
