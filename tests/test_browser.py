"""The JS client and the upload demo in a real Chromium.

The demo tests run against a real daphne server. The client tests that need
a server to misbehave (frames out of order, a dropped socket) load the page
from a scripted WebSocket server on loopback, under a strict CSP.
"""

import json
import os
import secrets
import threading
import time
from pathlib import Path

import pytest
import redis
import requests
from playwright.sync_api import expect, sync_playwright

from tests.conftest import free_port

pytestmark = [pytest.mark.browser, pytest.mark.server]

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
UPLOAD_BYTES = 20 * 1024 * 1024
# Generous wait for anything that needs the network or the server, in ms.
WAIT_MS = 60_000
# Upload speed while the watcher page opens: 20 MB would take minutes.
SLOW_UPLOAD_BYTES_PER_S = 64 * 1024

# Runs before any page script: records every percentage the page is handed.
RECORD_PROGRESS = """
window.__progress = [];
document.addEventListener("shoutout:state", function (event) {
  var data = event.detail.data;
  if (data && typeof data.pct === "number") {
    window.__progress.push(data.pct);
  }
});
"""

CLIENT_SCRIPT = Path(__file__).resolve().parent.parent / "shoutout" / "static" / "shoutout" / "shoutout.js"
CLIENT_PAGE = """<!doctype html><html><head>
<script src="/static/shoutout/shoutout.js" data-url="{ws_url}" nonce="test-nonce" defer></script>
</head><body><progress max="100" data-shoutout-id="obj-1" data-shoutout-key="pct"></progress></body></html>"""

# A policy without 'unsafe-eval' or 'unsafe-inline': only the nonced script may run.
CLIENT_PAGE_CSP = "default-src 'none'; script-src 'nonce-test-nonce'; connect-src ws://127.0.0.1:*"

# Records ShoutOut's DOM events and CSP violations for the test to read.
RECORD_CLIENT = """
window.__events = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__events.push({name: "csp", directive: event.violatedDirective});
});
["state", "message", "connection", "error", "expired", "deleted"].forEach(function (name) {
  document.addEventListener("shoutout:" + name, function (event) {
    var d = event.detail;
    window.__events.push({name: name, id: d.id, updateId: d.updateId, state: d.state,
                          retryIn: d.retryIn, code: d.code});
  });
});
"""


@pytest.fixture
def browser(chromium_path):
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def upload_file(tmp_path):
    path = tmp_path / "quarterly report.bin"
    with open(path, "wb") as out:
        for _ in range(UPLOAD_BYTES // (1024 * 1024)):
            out.write(os.urandom(1024 * 1024))
    return path


def throttle_upload(cdp, bytes_per_s):
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": bytes_per_s},
    )


def log_in(page, live_server, account="demo"):
    page.goto(f"{live_server.url}/login/")
    page.get_by_role("button", name=f"Log in as {account}").click()
    page.wait_for_url(f"{live_server.url}/upload/", timeout=WAIT_MS)


# The upload demo on a real server.


def test_upload_progress_reaches_watchers(browser, live_server, upload_file):
    uploader = browser.new_context().new_page()
    cdp = uploader.context.new_cdp_session(uploader)
    cdp.send("Network.enable")
    log_in(uploader, live_server)

    # Slow enough that the watcher is subscribed long before the upload could end.
    throttle_upload(cdp, SLOW_UPLOAD_BYTES_PER_S)
    uploader.locator("[data-demo-file]").set_input_files(upload_file)
    uploader.get_by_role("button", name="Upload").click()
    link = uploader.locator("[data-demo-watch-link]")
    expect(link).to_be_visible(timeout=WAIT_MS)
    watch_url = link.get_attribute("href")
    object_id = watch_url.rstrip("/").rsplit("/", 1)[-1]

    watcher_context = browser.new_context()
    watcher_context.add_init_script(RECORD_PROGRESS)
    watcher = watcher_context.new_page()
    watcher.goto(watch_url)
    watcher.wait_for_function("window.__progress.length > 0", timeout=WAIT_MS)
    throttle_upload(cdp, -1)

    stored = watcher.locator(".messages li[data-event='stored']")
    expect(stored).to_contain_text("quarterly_report.bin", timeout=WAIT_MS)
    expect(watcher.locator("progress")).to_have_js_property("value", 100, timeout=WAIT_MS)
    expect(watcher.locator(".shoutout-progress-label")).to_have_text("100\u00a0%")
    expect(watcher.locator(".status")).to_have_text("stored")
    expect(uploader.locator("[data-demo-notice]")).to_contain_text("Stored quarterly_report.bin", timeout=WAIT_MS)

    seen = watcher.evaluate("window.__progress")
    assert seen[0] < 100
    assert seen[-1] == 100
    assert seen == sorted(seen), f"progress went backwards: {seen}"

    late = browser.new_context().new_page()
    late.goto(watch_url)
    expect(late.locator("progress")).to_have_js_property("value", 100, timeout=WAIT_MS)
    expect(late.locator("[data-shoutout-key='name']")).to_have_text("quarterly_report.bin")
    expect(late.locator("[data-shoutout-key='size']")).to_have_text(str(UPLOAD_BYTES))

    stored_file = live_server.workdir / "media" / "uploads" / object_id / "quarterly_report.bin"
    assert stored_file.stat().st_size == UPLOAD_BYTES


def test_writes_resolve_with_ack_and_reject_stale(browser, live_server):
    page = browser.new_context().new_page()
    log_in(page, live_server)
    results = page.evaluate(
        """async () => {
            const token = document.querySelector("[name=csrfmiddlewaretoken]").value;
            const response = await fetch("/shoutout/api/objects/", {
                method: "POST",
                headers: {"Content-Type": "application/json", "X-CSRFToken": token},
                body: JSON.stringify({data: {pct: 0}}),
            });
            const id = (await response.json()).id;
            const ack = await ShoutOut.update(id, {pct: 5}, {updateId: 5});
            const message = await ShoutOut.publish(id, {note: "hi"});
            const stale = await ShoutOut.update(id, {pct: 3}, {updateId: 3}).then(
                () => null, (err) => ({code: err.code, current: err.currentUpdateId}));
            return {ack: ack.accepted_update_id, message: message.accepted_update_id, stale: stale};
        }"""
    )
    assert results["ack"] == 5
    assert results["message"] == 6
    assert results["stale"] == {"code": "stale", "current": 6}


@pytest.mark.redis
def test_watch_page_recovers_after_server_restart(browser, live_server_factory, redis_url):
    prefix = f"test-browser-{secrets.token_hex(4)}"
    server = live_server_factory(SHOUTOUT_REDIS_URL=redis_url, SHOUTOUT_REDIS_PREFIX=prefix)
    try:
        token = server.create_user("alice")
        response = requests.post(
            f"{server.url}/shoutout/api/objects/",
            json={"security": "public", "data": {"pct": 10}},
            headers={"Authorization": f"Token {token}"},
            timeout=30,
        )
        object_id = response.json()["id"]
        context = browser.new_context()
        context.add_init_script(RECORD_CLIENT)
        page = context.new_page()
        page.goto(f"{server.url}/watch/{object_id}/")
        page.wait_for_function("window.__events.some(e => e.name === 'state')", timeout=WAIT_MS)

        server.stop()
        page.wait_for_function(
            "window.__events.some(e => e.name === 'connection' && e.state === 'closed')", timeout=WAIT_MS
        )
        server.manage("shell", "-c", f"from shoutout import api; api.update({object_id!r}, {{'pct': 70}})")
        server.start()

        expect(page.locator("progress")).to_have_js_property("value", 70, timeout=WAIT_MS)
        connection_states = [event["state"] for event in events(page, "connection")]
        assert connection_states[0] == "open"
        assert connection_states[-1] == "open"
        assert "closed" in connection_states
    finally:
        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)
        client.close()


# The client against a scripted server.


class ScriptedServer:
    """A loopback server for the client page and its WebSocket, which sends scripted frames.

    Plain HTTP requests get the client page (``/``) or shoutout.js. On the
    WebSocket, ``script(connection_number, subscribe_frame)`` returns
    ``(frames, close)``: the frames to send after a subscribe, and whether to
    close the socket then.
    """

    def __init__(self, script=None):
        from websockets.sync.server import serve

        self.script = script or (lambda number, frame: ([], False))
        self.received = []
        self.connections = 0
        self.open_sockets = []
        self.ws_url = None
        self.server = serve(self.handle, "127.0.0.1", 0, process_request=self.serve_http)
        self.port = self.server.socket.getsockname()[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def handle(self, websocket):
        self.open_sockets.append(websocket)
        self.connections += 1
        number = self.connections
        for text in websocket:
            frame = json.loads(text)
            self.received.append((number, frame))
            if frame["type"] != "subscribe":
                continue
            websocket.send(json.dumps({"type": "subscribed", "id": frame["id"], "ref": frame.get("ref")}))
            frames, close = self.script(number, frame)
            for reply in frames:
                websocket.send(json.dumps(reply))
            if close:
                websocket.close()
                return

    def serve_http(self, connection, request):
        from websockets.datastructures import Headers
        from websockets.http11 import Response

        if request.headers.get("Upgrade", "").lower() == "websocket":
            return None
        if request.path == "/":
            body, content_type = CLIENT_PAGE.replace("{ws_url}", self.ws_url), "text/html"
        elif request.path == "/static/shoutout/shoutout.js":
            body, content_type = CLIENT_SCRIPT.read_text(), "text/javascript"
        else:
            return connection.respond(404, "Not found\n")
        data = body.encode()
        headers = Headers([
            ("Content-Type", f"{content_type}; charset=utf-8"),
            ("Content-Length", str(len(data))),
            ("Content-Security-Policy", CLIENT_PAGE_CSP),
        ])
        return Response(200, "OK", headers, data)

    def stop(self):
        for websocket in self.open_sockets:
            websocket.close()
        self.server.shutdown()
        self.thread.join(10)


@pytest.fixture
def scripted_server():
    servers = []

    def start(script=None):
        server = ScriptedServer(script)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


def state(update_id, pct, frame_type="state", object_id="obj-1"):
    return {"type": frame_type, "id": object_id, "update_id": update_id, "data": {"pct": pct}}


def message(update_id):
    return {"type": "message", "id": "obj-1", "update_id": update_id, "payload": {"n": update_id}}


def open_client_page(browser, server, ws_url=None):
    """Open the page of ``server`` (a :class:`ScriptedServer`), whose client connects to ``ws_url``."""
    server.ws_url = ws_url or f"ws://127.0.0.1:{server.port}/"
    context = browser.new_context()
    context.add_init_script(RECORD_CLIENT)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"http://127.0.0.1:{server.port}/")
    wait_until(page, "window.ShoutOut !== undefined")
    return page, errors


def wait_until(page, expression):
    """Poll ``expression`` from Python until it is true.

    ``page.wait_for_function`` compiles its predicate inside the page, which the
    strict CSP of the client page forbids; ``page.evaluate`` is not subject to it.
    """
    deadline = time.monotonic() + WAIT_MS / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {WAIT_MS} ms: {expression}")
        page.wait_for_timeout(50)


def events(page, name):
    return [event for event in page.evaluate("window.__events") if event["name"] == name]


def test_client_runs_under_strict_csp(browser, scripted_server):
    server = scripted_server(lambda number, frame: ([state(1, 10, "snapshot")], False))
    page, errors = open_client_page(browser, server)
    expect(page.locator("progress")).to_have_js_property("value", 10, timeout=WAIT_MS)
    assert events(page, "csp") == []
    assert errors == []


def test_client_survives_unreachable_server(browser, scripted_server):
    server = scripted_server()
    page, errors = open_client_page(browser, server, f"ws://127.0.0.1:{free_port()}/ws/shoutout/")
    wait_until(page, "window.__events.filter(e => e.name === 'connection').length >= 3")
    write = page.evaluate(
        """async () => {
            const promise = ShoutOut.update("obj-1", {pct: 1});
            const isPromise = promise instanceof Promise;
            const code = await promise.then(() => "resolved", (err) => err.code);
            return {isPromise, code};
        }"""
    )
    closed = events(page, "connection")
    assert all(event["state"] == "closed" for event in closed)
    # Attempt n waits between half and all of min(30 s, 0.5 s * 2**n).
    for attempt, event in enumerate(closed[:4]):
        assert 250 * 2**attempt <= event["retryIn"] <= 500 * 2**attempt
    assert write == {"isPromise": True, "code": "not_connected"}
    assert errors == []


def test_client_drops_frames_not_newer(browser, scripted_server):
    def script(number, frame):
        frames = [state(5, 50, "snapshot"), state(4, 40), state(6, 60), message(6), message(7), state(7, 70)]
        # Frames arrive in order, so once the last one is handled every earlier one was too.
        return frames + [state(9, 90)], False

    server = scripted_server(script)
    page, errors = open_client_page(browser, server)
    wait_until(page, "window.__events.some(e => e.updateId === 9)")

    assert [event["updateId"] for event in events(page, "state")] == [5, 6, 9]
    assert [event["updateId"] for event in events(page, "message")] == [7]
    assert page.eval_on_selector("progress", "el => el.value") == 90
    assert errors == []


def test_client_resubscribes_after_reconnect(browser, scripted_server):
    def script(number, frame):
        if number == 1:
            return [state(3, 30, "snapshot")], True
        return [state(3, 30, "snapshot"), state(8, 80)], False

    server = scripted_server(script)
    page, errors = open_client_page(browser, server)
    wait_until(page, "window.__events.some(e => e.updateId === 8)")

    subscribes = [(number, frame["id"]) for number, frame in server.received if frame["type"] == "subscribe"]
    assert subscribes == [(1, "obj-1"), (2, "obj-1")]
    assert [event["updateId"] for event in events(page, "state")] == [3, 8]
    assert [event["state"] for event in events(page, "connection")] == ["open", "closed", "open"]
    assert page.eval_on_selector("progress", "el => el.value") == 80
    assert errors == []


def test_callback_errors_stay_in_client(browser, scripted_server):
    def script(number, frame):
        object_id = frame["id"]
        return [state(1, 10, "snapshot", object_id), state(2, 20, "state", object_id)], False

    server = scripted_server(script)
    page, errors = open_client_page(browser, server)
    console_errors = []
    page.on("console", lambda msg: console_errors.append(msg.text) if msg.type == "error" else None)

    seen = page.evaluate(
        """() => new Promise((resolve) => {
            const seen = [];
            ShoutOut.subscribe("obj-2", {onState: () => { throw new Error("page bug"); }});
            ShoutOut.subscribe("obj-2", {onState: (data, detail) => {
                seen.push(detail.updateId);
                if (detail.updateId === 2) resolve(seen);
            }});
        })"""
    )
    assert seen == [1, 2]
    assert any("onState callback" in text for text in console_errors)
    assert errors == []


def test_read_token_subscribes_and_revocation_ends_it(browser, live_server):
    owner = {"Authorization": f"Token {live_server.create_user('token-owner')}"}
    created = requests.post(
        f"{live_server.url}/shoutout/api/objects/",
        json={"security": "private", "data": {"pct": 7}},
        headers=owner, timeout=30, proxies={"http": None},
    ).json()
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}/login/")
    page.add_script_tag(url="/static/shoutout/shoutout.js")
    page.evaluate(
        """([id, token]) => {
            window.__seen = [];
            ShoutOut.subscribe(id, {
                token: token,
                onState: (data) => window.__seen.push(["state", data.pct]),
                onRevoked: () => window.__seen.push(["revoked"]),
            });
        }""",
        [created["id"], created["read_token"]],
    )
    page.wait_for_function("window.__seen.length >= 1", timeout=WAIT_MS)

    revoke = requests.post(
        f"{live_server.url}/shoutout/api/objects/{created['id']}/tokens/revoke/",
        headers=owner, timeout=30, proxies={"http": None},
    )
    page.wait_for_function("window.__seen.length >= 2", timeout=WAIT_MS)

    assert revoke.status_code == 200
    assert page.evaluate("window.__seen") == [["state", 7], ["revoked"]]
