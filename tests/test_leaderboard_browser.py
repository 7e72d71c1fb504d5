"""The static page in headless Chromium: rows present, a hostile name shown as text, sorting by a column
header reorders the rows, the plot loads under the page's CSP; a screenshot is saved.

Needs Debian's ``chromium`` and ``chromium-driver`` and the ``selenium`` package. Under nox
(``RGRO_SCREENSHOT_DIR`` set) the screenshot is also copied there (e.g. leaderboards/screenshots/)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from leaderboard_support import constant_predictions, first_sentence_predictions

from rgro_bench.leaderboard import submit_predictions

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.browser
EVIL = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def board(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("board")
    shutil.copy(Path(__file__).resolve().parents[1] / "leaderboards" / "reported.yaml", root / "reported.yaml")
    first = first_sentence_predictions("iu-xray")
    submit_predictions(root, {"name": "first-sentence", "authors": ["a"]}, {"iu-xray": first}, build=False)
    # shorter predictions than the first sentence, so sorting by length must move this row
    submit_predictions(root, {"name": EVIL, "authors": ["a"]}, {"iu-xray": constant_predictions("iu-xray", "Normal.")})
    return root


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    webdriver = pytest.importorskip("selenium.webdriver", reason="needs selenium (pip install selenium)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    profile = tmp_path_factory.mktemp("chromium-profile")
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=webdriver.ChromeService(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def _models(browser) -> list[str]:
    from selenium.webdriver.common.by import By

    table = browser.find_element(By.CSS_SELECTOR, 'table[data-task="iu-xray"]')
    return [
        row.find_element(By.CSS_SELECTOR, "td.model").text for row in table.find_elements(By.CSS_SELECTOR, "tbody tr")
    ]


def test_page_rows_sorting_and_screenshot(board, browser, tmp_path):
    from selenium.webdriver.common.by import By

    browser.get((board / "index.html").as_uri())
    assert browser.title == "rgro-bench leaderboards"
    models = _models(browser)
    # two ranked entries sorted by BERTScore F1, the unranked reference impressions, then the published
    # row; the hostile name is plain text
    assert set(models[:2]) == {"first-sentence", EVIL} and models[2] == "reference impressions"
    assert models[3].startswith("GPT-4")
    assert browser.execute_script("return window.__alerted === undefined && document.scripts.length") == 1
    primary = browser.find_element(By.CSS_SELECTOR, 'table[data-task="iu-xray"] th.primary')
    assert primary.text.startswith("bertscore_f1") and primary.get_attribute("aria-sort") == "descending"

    words = browser.find_element(By.CSS_SELECTOR, 'table[data-task="iu-xray"] th[data-column="words"]')

    def entries() -> list[str]:
        return [m for m in _models(browser) if m in {"first-sentence", EVIL}]

    words.click()  # numbers sort descending first: the longer first-sentence predictions lead
    assert entries() == ["first-sentence", EVIL] and words.get_attribute("aria-sort") == "descending"
    words.click()
    assert entries() == [EVIL, "first-sentence"] and words.get_attribute("aria-sort") == "ascending"
    assert primary.get_attribute("aria-sort") is None

    browser.find_element(By.XPATH, '//table[@data-task="iu-xray"]//th[text()="Model"]').click()
    assert _models(browser) == sorted(models, key=str.lower)

    image = browser.find_element(By.CSS_SELECTOR, "#task-iu-xray img")
    assert browser.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image) > 0

    shot = tmp_path / "leaderboard.png"
    assert browser.save_screenshot(str(shot)) and shot.read_bytes()[:4] == b"\x89PNG"
    if os.environ.get("RGRO_SCREENSHOT_DIR"):
        target = Path(os.environ["RGRO_SCREENSHOT_DIR"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, target / "leaderboard.png")
