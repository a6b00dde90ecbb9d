"""Link policy, QR matrices decoded by a real reader, the matrix cache and short link text."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
import zxingcpp
from PIL import Image

from kiosk.qr import LinkNotAllowed, LinkPolicy, QrCache, QrMatrix, link_lines, short_link_text

HOSTS = ["www.siegen.de", "www.openstreetmap.org"]
LONG_PATH = (
    "https://www.siegen.de/leben-in-siegen/familie-und-soziales/familienbuero/"
    "kinderbetreuung/kindertagespflege/informationen-fuer-eltern/antrag-auf-foerderung-"
    "in-der-kindertagespflege-und-hinweise-zu-elternbeitraegen.html"
)


@pytest.fixture
def policy() -> LinkPolicy:
    return LinkPolicy(HOSTS)


def decode(matrix: QrMatrix, scale: int = 4) -> list[zxingcpp.Barcode]:
    side = matrix.size * scale
    image = Image.frombytes("L", (side, side), matrix.to_luminance(scale))
    return list(zxingcpp.read_barcodes(image))


@pytest.mark.parametrize(
    "url",
    [
        "https://www.siegen.de/",
        "https://www.siegen.de/familienbuero",
        "https://www.openstreetmap.org/?mlat=50.8748&mlon=8.0243#map=17/50.8748/8.0243",
        "https://www.siegen.de/suche?q=kita+anmeldung&seite=2",
        LONG_PATH,
        LONG_PATH + "?ref=kiosk&standort=standort-mitte&sprache=de#abschnitt-3",
    ],
)
def test_matrix_decodes_to_the_url(url: str) -> None:
    results = decode(QrMatrix.encode(url))
    assert len(results) == 1
    assert results[0].text == url
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode


def test_matrix_shape_and_quiet_zone() -> None:
    matrix = QrMatrix.encode("https://www.siegen.de/familienbuero")
    inner = matrix.size - 8
    assert inner >= 21 and (inner - 21) % 4 == 0
    assert len(matrix.modules) == matrix.size**2
    assert set(matrix.modules) == {0, 1}
    rows = [matrix.modules[r * matrix.size : (r + 1) * matrix.size] for r in range(matrix.size)]
    for r, row in enumerate(rows):
        if r < 4 or r >= matrix.size - 4:
            assert not any(row)
        else:
            assert not any(row[:4]) and not any(row[-4:])
    # Finder pattern corner: the first dark module sits right inside the quiet zone.
    assert rows[4][4] == 1


def test_longer_links_need_larger_codes() -> None:
    assert QrMatrix.encode(LONG_PATH).size > QrMatrix.encode("https://www.siegen.de/").size


def test_luminance_layout() -> None:
    matrix = QrMatrix(size=2, modules=bytes([1, 0, 0, 1]))
    assert matrix.to_luminance(1) == bytes([0, 255, 255, 0])
    assert matrix.to_luminance(2) == bytes(
        [0, 0, 255, 255, 0, 0, 255, 255, 255, 255, 0, 0, 255, 255, 0, 0]
    )
    real = QrMatrix.encode("https://www.siegen.de/")
    pixels = real.to_luminance(3)
    assert len(pixels) == (real.size * 3) ** 2
    assert set(pixels) == {0, 255}
    with pytest.raises(ValueError):
        real.to_luminance(0)


def test_matrix_checks_its_size() -> None:
    with pytest.raises(ValueError):
        QrMatrix(size=3, modules=bytes(8))


@pytest.mark.parametrize(
    "url",
    [
        "https://www.siegen.de/",
        "https://www.siegen.de",
        "https://WWW.Siegen.DE/Familie",
        "HTTPS://www.siegen.de/",
        "https://www.siegen.de:443/kita",
        "https://www.openstreetmap.org/?mlat=50.8748&mlon=8.0243#map=17/50.8748/8.0243",
        "https://www.siegen.de/" + "a" * (512 - len("https://www.siegen.de/")),
    ],
)
def test_policy_allows(policy: LinkPolicy, url: str) -> None:
    assert policy.problem(url) is None
    assert policy.allows(url)


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://www.siegen.de/", "https://"),
        ("ftp://www.siegen.de/", "https://"),
        ("www.siegen.de/familie", "https://"),
        ("https:///familie", "no host"),
        ("https://", "no host"),
        ("https://evil.example/", "evil.example"),
        ("https://www.siegen.de.evil.example/", "www.siegen.de.evil.example"),
        ("https://siegen.de/", "siegen.de is not"),
        ("https://evil.example/?www.siegen.de", "evil.example"),
        ("https://a@b", "user name"),
        ("https://user:pw@www.siegen.de/", "user name"),
        ("https://www.siegen.de@evil.example/", "user name"),
        ("https://www.siegen.de:8443/", "port 8443"),
        ("https://www.siegen.de:80/", "port 80"),
        ("https://www.siegen.de:abc/", "not a valid"),
        ("https://[::1/", "not a valid"),
        (" https://www.siegen.de/", "position 1"),
        ("https://www.siegen.de/a b", "position 24"),
        ("https://www.siegen.de/\tx", "space or invisible"),
        ("https://www.siegen.de/x\n", "space or invisible"),
        ("https://www.siegen.de/\u200bx", "space or invisible"),
        ("https://www.siegen.de/\u202ex", "space or invisible"),
        ("https://www.siegen.de/\x7f", "space or invisible"),
        ("https://www.siegen.de/" + "a" * 491, "513 characters"),
    ],
)
def test_policy_refuses(policy: LinkPolicy, url: str, fragment: str) -> None:
    reason = policy.problem(url)
    assert reason is not None
    assert fragment in reason
    assert "\n" not in reason
    assert not policy.allows(url)


def test_refusal_names_host_and_list(policy: LinkPolicy) -> None:
    reason = policy.problem("https://evil.example/")
    assert reason == (
        "The host evil.example is not in allowed_link_hosts (www.siegen.de, www.openstreetmap.org)."
    )
    assert "the list is empty" in (LinkPolicy([]).problem("https://www.siegen.de/") or "")


def test_policy_hosts_are_case_insensitive_exact() -> None:
    policy = LinkPolicy(["WWW.Siegen.de "])
    assert policy.allowed_hosts == ("www.siegen.de",)
    assert policy.allows("https://www.siegen.de/")
    assert not policy.allows("https://sub.www.siegen.de/")


@pytest.mark.parametrize("entry", ["https://www.siegen.de", "*.siegen.de", "", "www.siegen.de/x"])
def test_policy_rejects_entries_that_could_never_match(entry: str) -> None:
    with pytest.raises(ValueError, match="allowed_link_hosts"):
        LinkPolicy(["www.siegen.de", entry])


def test_cache_returns_the_same_object(policy: LinkPolicy) -> None:
    cache = QrCache(policy)
    first = cache.matrix_for("https://www.siegen.de/familienbuero")
    assert cache.matrix_for("https://www.siegen.de/familienbuero") is first
    assert cache.matrix_for("https://www.siegen.de/kita") is not first
    assert len(cache) == 2


def test_cache_is_bounded_lru(policy: LinkPolicy) -> None:
    cache = QrCache(policy, maxsize=3)
    urls = [f"https://www.siegen.de/seite-{n}" for n in range(5)]
    matrices = [cache.matrix_for(url) for url in urls[:3]]
    assert cache.matrix_for(urls[0]) is matrices[0]  # now most recently used
    cache.matrix_for(urls[3])
    cache.matrix_for(urls[4])
    assert len(cache) == 3
    assert cache.matrix_for(urls[0]) is matrices[0]
    assert cache.matrix_for(urls[1]) is not matrices[1]
    assert cache.matrix_for(urls[1]) == matrices[1]


def test_cache_default_bound(policy: LinkPolicy) -> None:
    cache = QrCache(policy)
    for n in range(260):
        cache.matrix_for(f"https://www.siegen.de/{n}")
    assert len(cache) == 256


def test_cache_refuses_disallowed_links(policy: LinkPolicy) -> None:
    cache = QrCache(policy)
    url = "http://www.siegen.de/"
    with pytest.raises(LinkNotAllowed) as caught:
        cache.matrix_for(url)
    assert isinstance(caught.value, ValueError)
    assert str(caught.value) == policy.problem(url)
    assert caught.value.reason == policy.problem(url)
    assert caught.value.url == url
    assert len(cache) == 0


def test_cache_shared_between_threads(policy: LinkPolicy) -> None:
    cache = QrCache(policy)
    urls = [f"https://www.siegen.de/thema-{n % 5}" for n in range(40)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        matrices = list(pool.map(cache.matrix_for, urls))
    for url, matrix in zip(urls, matrices, strict=True):
        assert matrix is cache.matrix_for(url)
    assert len(cache) == 5


@pytest.mark.parametrize(
    ("url", "text"),
    [
        ("https://www.siegen.de/", "www.siegen.de"),
        ("https://www.siegen.de", "www.siegen.de"),
        ("https://www.siegen.de/familienbuero/", "www.siegen.de/familienbuero"),
        ("https://www.siegen.de/kita?id=3", "www.siegen.de/kita?id=3"),
        ("http://www.siegen.de/", "http://www.siegen.de"),
        (LONG_PATH, "www.siegen.de/…/antrag-auf-foerderung-in-der-ki…"),
        (
            "https://www.siegen.de/leben/familie/familienbuero/beratung/",
            "www.siegen.de/…/beratung",
        ),
        (
            "https://www.siegen.de/ein-sehr-langer-einzelner-pfadabschnitt-ohne-ende",
            "www.siegen.de/ein-sehr-langer-einzelner-pfadabs…",
        ),
        (
            "https://www.siegen.de/familie/kita.html?standort=standort-mitte&sprache=de",
            "www.siegen.de/…/kita.html…",
        ),
        (
            "https://www.openstreetmap.org/?mlat=50.8748&mlon=8.0243#map=17/50.8748/8.0243",
            "www.openstreetmap.org/…",
        ),
    ],
)
def test_short_link_text(url: str, text: str) -> None:
    assert short_link_text(url) == text
    assert len(short_link_text(url)) <= 48


@pytest.mark.parametrize(
    ("text", "width", "expected"),
    [
        (
            "www.siegen.de/familienbuero/termin/mitte",
            24,
            "www.siegen.de/\nfamilienbuero/termin/\nmitte",
        ),
        ("www.siegen.de/a", 24, "www.siegen.de/a"),
        (
            "www.siegen.de/" + "x" * 30,
            12,
            "www.siegen.\nde/\n" + "x" * 12 + "\n" + "x" * 12 + "\n" + "x" * 6,
        ),
    ],
)
def test_link_lines_break_after_slashes_and_never_lose_a_character(
    text: str, width: int, expected: str
) -> None:
    wrapped = link_lines(text, width)
    assert wrapped == expected
    assert wrapped.replace("\n", "") == text
    assert all(len(line) <= width for line in wrapped.split("\n"))
