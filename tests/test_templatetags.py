"""The {% shoutout_script %} and {% shoutout_progress %} template tags."""

from html.parser import HTMLParser

from django.template import Context, Template
from django.test import RequestFactory, override_settings


class TagCollector(HTMLParser):
    """Collect ``(tag, attributes)`` of every start tag, and the text, of rendered HTML."""

    def __init__(self):
        super().__init__()
        self.tags = []
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data):
        self.text.append(data)


def render(source, **context):
    html = Template("{% load shoutout %}" + source).render(Context(context))
    collector = TagCollector()
    collector.feed(html)
    return html, collector


def tag(collector, name):
    matches = [attrs for tag_name, attrs in collector.tags if tag_name == name]
    assert len(matches) == 1, f"expected one <{name}>, got {matches}"
    return matches[0]


def test_script_loads_client_from_static():
    _, collector = render("{% shoutout_script %}")
    assert tag(collector, "script")["src"] == "/static/shoutout/shoutout.js"


def test_script_is_deferred():
    _, collector = render("{% shoutout_script %}")
    assert "defer" in tag(collector, "script")


def test_script_data_url_defaults_to_ws_path():
    _, collector = render("{% shoutout_script %}")
    assert tag(collector, "script")["data-url"] == "/ws/shoutout/"


@override_settings(SHOUTOUT={"WEBSOCKET_URL": "wss://push.example.test/live/"})
def test_script_data_url_follows_setting():
    _, collector = render("{% shoutout_script %}")
    assert tag(collector, "script")["data-url"] == "wss://push.example.test/live/"


@override_settings(SHOUTOUT={"WEBSOCKET_URL": '/ws/"><script>alert(1)</script>'})
def test_script_escapes_data_url():
    html, collector = render("{% shoutout_script %}")
    assert html.count("<script") == 1
    assert tag(collector, "script")["data-url"] == '/ws/"><script>alert(1)</script>'


def test_script_has_no_nonce_without_one():
    _, collector = render("{% shoutout_script %}")
    assert "nonce" not in tag(collector, "script")


def test_script_takes_nonce_from_context():
    _, collector = render("{% shoutout_script %}", csp_nonce="abc123")
    assert tag(collector, "script")["nonce"] == "abc123"


def test_script_takes_nonce_from_request():
    request = RequestFactory().get("/")
    request.csp_nonce = "from-request"
    _, collector = render("{% shoutout_script %}", request=request)
    assert tag(collector, "script")["nonce"] == "from-request"


def test_script_escapes_nonce():
    html, collector = render("{% shoutout_script %}", csp_nonce='"><b>x</b>')
    assert "<b>" not in html
    assert tag(collector, "script")["nonce"] == '"><b>x</b>'


def test_progress_binds_bar_to_object_and_key():
    _, collector = render("{% shoutout_progress object_id %}", object_id="AbCdEfGhIjKlMnOpQrStUv")
    progress = tag(collector, "progress")
    assert progress["data-shoutout-id"] == "AbCdEfGhIjKlMnOpQrStUv"
    assert progress["data-shoutout-key"] == "pct"
    assert progress["max"] == "100"


def test_progress_binds_label_to_same_key():
    _, collector = render('{% shoutout_progress "AbCdEfGhIjKlMnOpQrStUv" key="done" %}')
    bound = [attrs for name, attrs in collector.tags if name == "span" and "data-shoutout-key" in attrs]
    assert len(bound) == 1
    assert bound[0]["data-shoutout-key"] == "done"
    assert bound[0]["data-shoutout-id"] == "AbCdEfGhIjKlMnOpQrStUv"


def test_progress_starts_at_zero():
    _, collector = render('{% shoutout_progress "AbCdEfGhIjKlMnOpQrStUv" %}')
    assert tag(collector, "progress")["value"] == "0"


def test_progress_renders_given_value():
    _, collector = render('{% shoutout_progress "AbCdEfGhIjKlMnOpQrStUv" value=42 %}')
    assert tag(collector, "progress")["value"] == "42"
    assert "42" in "".join(collector.text)


def test_progress_has_accessible_label():
    _, collector = render('{% shoutout_progress "AbCdEfGhIjKlMnOpQrStUv" label="Upload of report.pdf" %}')
    assert tag(collector, "progress")["aria-label"] == "Upload of report.pdf"


def test_progress_escapes_every_argument():
    evil = '"><script>alert(1)</script>'
    html, collector = render(
        "{% shoutout_progress evil key=evil value=evil label=evil %}", evil=evil
    )
    assert "<script" not in html
    progress = tag(collector, "progress")
    assert progress["data-shoutout-id"] == evil
    assert progress["data-shoutout-key"] == evil
    assert progress["aria-label"] == evil
