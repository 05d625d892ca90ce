"""The one Markdown pipeline must never let script, event handlers or dangerous URLs through."""

from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studyapp.rendering import ALLOWED_TAGS, render_markdown, render_markdown_document, sanitize_html

SAFE_ATTRIBUTES = {"href", "src", "alt", "title", "id", "class", "colspan", "rowspan", "scope", "start", "rel",
                   "width", "height", "tabindex"}  # fmt: skip


class _Inspector(HTMLParser):
    """Parses the output as a browser would and lists every tag, attribute and URL in it."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag not in ALLOWED_TAGS:
            self.problems.append(f"tag <{tag}>")
        for name, value in attrs:
            if name not in SAFE_ATTRIBUTES:
                self.problems.append(f"attribute {name}")
            if name in {"href", "src"}:
                scheme = urlsplit((value or "").strip().lower()).scheme
                if scheme not in {"", "http", "https", "mailto"}:
                    self.problems.append(f"{name} with scheme {scheme}:")


def problems(html: str) -> list[str]:
    inspector = _Inspector()
    inspector.feed(html)
    return inspector.problems


HOSTILE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<scr<script>ipt>alert(1)</script>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](  javascript:alert(1))",
    "[click](jav&#x09;ascript:alert(1))",
    "[click](java\tscript:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](vbscript:msgbox(1))",
    "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[ref link][x]\n\n[x]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "![img](javascript:alert(1))",
    "![img](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    '![x](x.png "title" onerror="alert(1)")',
    '[x](https://example.com){: onclick="alert(1)" }',
    'Paragraph\n{: onmouseover="alert(1)" style="color:red" data-hx-get="/x" hx-post="/y" }',
    '<a href="javascript:alert(1)">raw</a>',
    '<a href="#" onclick="alert(1)">raw</a>',
    "<img src=x onerror=alert(1)>",
    '<img src="x" ONERROR="alert(1)">',
    "<svg onload=alert(1)><circle/></svg>",
    "<math><mtext><img src=x onerror=alert(1)></mtext></math>",
    '<iframe src="https://evil.example"></iframe>',
    '<object data="x.swf"></object><embed src="x.swf">',
    '<form action="https://evil.example"><input name="p"></form>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    '<base href="https://evil.example/">',
    "<style>body{display:none}</style>",
    '<div style="background:url(javascript:alert(1))">x</div>',
    '<p data-hx-get="/admin" hx-trigger="load">x</p>',
    '<a href="/ok" data-hx-post="/delete">x</a>',
    '"><script>alert(1)</script>',
    "`<script>` in code is text\n\n    <script>alert(1)</script>",
    "<details open ontoggle=alert(1)><summary>x</summary></details>",
    '<a href="java&#0000115;cript:alert(1)">entity-obfuscated</a>',
    "<<script>script>alert(1)<</script>/script>",
    "<!--<script>alert(1)</script>-->",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>',
]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_comes_out_inert(source):
    html = render_markdown(source)
    assert problems(html) == [], html
    assert "<script" not in html.lower()


def test_script_content_is_dropped_not_shown_as_text():
    assert "alert" not in render_markdown("<script>alert(1)</script>Safe")
    assert "Safe" in render_markdown("<script>alert(1)</script>Safe")


def test_code_blocks_keep_the_text_escaped():
    html = render_markdown("```\n<script>alert(1)</script>\n```")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_safe_links_survive_with_rel_noopener():
    html = render_markdown("[AWS](https://aws.amazon.com/) [note](/notes/ecs/#tasks) [mail](mailto:a@example.com)")
    assert '<a href="https://aws.amazon.com/" rel="noopener noreferrer">AWS</a>' in html
    assert 'href="/notes/ecs/#tasks"' in html
    assert 'href="mailto:a@example.com"' in html


def test_tables_callouts_and_headings_render_with_anchors():
    doc = render_markdown_document(
        '## Why Lambda & why now\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n!!! tip "Exam tip"\n    Think ECS.\n'
    )
    assert '<h2 id="why-lambda-why-now">' in doc.html
    assert '<div class="table-wrap" tabindex="0"><table>' in doc.html
    assert '<div class="admonition tip">' in doc.html and '<p class="admonition-title">Exam tip</p>' in doc.html
    assert doc.toc == [{"id": "why-lambda-why-now", "name": "Why Lambda & why now", "level": 2, "children": []}]


def test_only_allowlisted_classes_and_attributes_remain():
    html = sanitize_html('<div class="admonition evil" id="x" tabindex="5" role="button"><p class="x">t</p></div>')
    assert html.replace(' class=""', "") == '<div class="admonition"><p>t</p></div>'


def _full_pipeline(source: str) -> str:
    from studyapp.rendering import _markdown

    return sanitize_html(_markdown(document=False).convert(source))


PLAINISH = st.text(
    alphabet=st.sampled_from(list("abcXYZ019 ,.;:?!'\"()/%$+=@-_*`#<>&[]~|\\\n\té’“”")), min_size=1, max_size=40
)


@given(PLAINISH)
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_the_plain_text_shortcut_gives_what_the_full_pipeline_gives(source):
    from studyapp.rendering import is_plain

    if is_plain(source):
        assert render_markdown(source) == _full_pipeline(source)


WORDS = st.text(alphabet=st.sampled_from(list("aZ1 .,;:?!'\"()/%$+=@-é")), max_size=6)
BOLDISH = st.lists(
    st.one_of(WORDS, WORDS.map(lambda word: f"**{word}**"), st.sampled_from(["*", "**", "***", " ", "_", "`", "1."])),
    min_size=1,
    max_size=8,
).map("".join)


@given(BOLDISH)
@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
def test_the_shortcut_renders_bold_spans_as_the_full_pipeline_does(source):
    from studyapp.rendering import is_plain

    if is_plain(source):
        assert render_markdown(source) == _full_pipeline(source)


@pytest.mark.parametrize(
    ("source", "html"),
    [
        ("Which service is **NOT** serverless?", "<p>Which service is <strong>NOT</strong> serverless?</p>"),
        ("**S3** and **EBS**.", "<p><strong>S3</strong> and <strong>EBS</strong>.</p>"),
    ],
)
def test_a_line_with_bold_words_takes_the_shortcut(source, html):
    from studyapp.rendering import is_plain

    assert is_plain(source)
    assert render_markdown(source) == _full_pipeline(source) == html


@pytest.mark.parametrize("source", ["** a**", "**a **", "a ** b", "***a***", "**a*b**", "**a_b**", "**<b>x</b>**"])
def test_bold_markers_markdown_would_read_otherwise_take_the_full_pipeline(source):
    from studyapp.rendering import is_plain

    assert not is_plain(source)


def test_every_plain_field_of_the_content_renders_as_the_full_pipeline_would(loaded_content):
    from quizzes.models import Choice
    from studyapp.rendering import is_plain

    texts = [text for text in Choice.objects.values_list("text", flat=True) if is_plain(text)]
    assert texts  # most choices are one line of prose: the shortcut is exercised
    for text in texts:
        assert render_markdown(text) == _full_pipeline(text), text
