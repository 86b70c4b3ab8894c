"""The impact report as PDF: a real file, with the Bengali font embedded, whose first page shows real text.

Needs Debian's Pango (WeasyPrint) and poppler-utils (pdftoppm, pdftotext): `make test-pdf` installs them
and runs these tests; `make test` leaves them out through the `pdf` marker.
"""

import subprocess
import unicodedata

import pytest
from PIL import Image

from forum.extensions import db
from forum.ideas import service as ideas
from forum.lifecycle import service as lifecycle

pytestmark = pytest.mark.pdf

BANGLA_TITLE = "উপজেলা স্বাস্থ্য কমপ্লেক্সে অনলাইন সিরিয়াল"


@pytest.fixture
def pdf_file(world, auth, client, tmp_path):
    """The PDF of a report whose most adopted idea has a Bangla title."""
    idea = ideas.create_idea(world["officer"], BANGLA_TITLE, "রোগীরা ভোর থেকে লাইনে দাঁড়ান।", world["health"].id)
    ideas.add_comment(idea, world["senior"], "Good.")
    lifecycle.change_status(idea, world["staff"], "implemented", "Rolled out.")
    lifecycle.adopt(idea, world["senior"], "MIN", "Ministry-wide.")
    db.session.commit()
    auth.login("staff@x.gov")
    response = client.get("/followup/impact/report.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF-")
    path = tmp_path / "impact.pdf"
    path.write_bytes(response.data)
    return path


def test_the_pdf_embeds_the_vendored_bengali_font(pdf_file):
    fonts = subprocess.run(["pdffonts", str(pdf_file)], capture_output=True, text=True, check=True).stdout
    bengali = [line for line in fonts.splitlines() if "NotoSansBengali" in line.replace("-", "")]
    assert bengali and all(" yes " in line for line in bengali)  # embedded (a subset)


def test_the_first_page_renders_to_an_image_with_text_on_it(pdf_file, tmp_path):
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf_file), str(tmp_path / "page")], check=True
    )
    image = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    dark = sum(1 for pixel in image.get_flattened_data() if pixel < 128)
    assert dark / (image.width * image.height) > 0.005, "the first page is blank"


def test_bangla_text_comes_back_out_of_the_pdf_not_as_tofu(pdf_file):
    """A missing glyph renders as a box mapped to no text: the Bangla title reading back whole proves glyphs."""
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(pdf_file), "-"], capture_output=True, text=True, check=True
    )
    # pdftotext puts spaces between some glyph clusters; the letters themselves must all be there, in order.
    flat = unicodedata.normalize("NFC", "".join(text.stdout.split()))
    assert unicodedata.normalize("NFC", BANGLA_TITLE.replace(" ", "")) in flat, flat[-300:]
