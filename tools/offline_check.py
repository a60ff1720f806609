"""Open a report folder's pages in headless Chromium with the network cut, and say what did not work.

Usage: ``python tools/offline_check.py reports/smoke [--screenshot eq.png]``; exit code 1 when a page
failed. For each ``*.html`` of the folder the page is loaded from ``file://`` and checked:

* **no request left the machine**: every request the page made (scripts, styles, images, fonts, fetches)
  has a ``file:``, ``data:``, ``blob:`` or ``about:`` URL. The browser also runs with the network emulated
  offline, an unreachable proxy and a host resolver that resolves nothing, so a stray CDN URL fails instead
  of silently working on a connected machine;
* **every image loaded** (complete, with a non-zero natural width);
* **every equation typeset**: MathJax is present wherever the page has ``$`` maths, it finished its queue,
  reported no TeX error, and no raw ``$$``, ``\\(`` or ``\\[`` delimiter is left in the rendered text
  (code cells excluded, where ``$`` is program text).

``--screenshot`` saves a PNG of the first typeset display equation found (the acceptance check of issue 21).
Chromium is driven over the DevTools protocol with ``websocket-client``; Debian's ``chromium`` is enough.
"""

from __future__ import annotations

import argparse
import base64
import itertools
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:", "chrome-error:")

# Runs in the page once it has loaded and MathJax (if any) has emptied its queue.
_INSPECT = r"""(() => {
  const imgs = Array.from(document.images).map(i => ({src: i.src.slice(0, 120),
      ok: i.complete && i.naturalWidth > 0}));
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, textarea, .jp-CodeMirrorEditor, .jp-OutputArea-output pre')
       .forEach(e => e.remove());
  const text = clone.textContent;
  const source = document.documentElement.outerHTML;
  return {
    images: imgs,
    text_has_display_dollars: text.includes('$$'),
    text_has_bracket_math: /\\\(|\\\[/.test(text),
    raw_inline: (text.match(/\$[^$\n]{0,200}\\[A-Za-z]+[^$\n]{0,200}\$/g) || []).slice(0, 3),
    math_scripts: document.querySelectorAll('script[type^="math/tex"]').length,
    typeset: document.querySelectorAll('.MathJax, .MathJax_Display, .MathJax_SVG, mjx-container').length,
    tex_errors: Array.from(document.querySelectorAll('.MathJax_Error, .noError, merror'))
                  .map(e => e.textContent.slice(0, 120)).slice(0, 3),
    has_mathjax: !!window.MathJax,
    needs_math: /\$\$|\\\(|\$[^$\n]+\$/.test(clone.textContent) || document.querySelectorAll('script[type^="math/tex"]').length > 0,
  };
})()"""

_MATHJAX_IDLE = r"""new Promise(resolve => {
  if (!window.MathJax) { resolve('absent'); return; }
  const wait = () => (MathJax.Hub && MathJax.isReady)
      ? MathJax.Hub.Queue(() => resolve('done')) : setTimeout(wait, 50);
  wait();
})"""


@dataclass
class PageCheck:
    """What one page did: its requests, and the problems found (empty when the page is fine)."""

    url: str
    requests: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    equations: int = 0
    images: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def find_browser() -> str | None:
    """Path of a Chromium-family browser on PATH, or None."""
    return next((p for p in map(shutil.which, BROWSERS) if p), None)


class Chromium:
    """A headless Chromium with no network, driven over the DevTools protocol (one page at a time)."""

    def __init__(self, binary: str | None = None, timeout: float = 60.0) -> None:
        import websocket

        binary = binary or find_browser()
        if not binary:
            raise FileNotFoundError(f"no Chromium on PATH (looked for {', '.join(BROWSERS)})")
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="recnb-chromium-")
        self.proc = subprocess.Popen(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
             "--remote-debugging-port=0", f"--user-data-dir={self.profile}", "--no-first-run",
             "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", "--disable-extensions", "--disable-domain-reliability", "--metrics-recording-only",
             "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
             "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1", "--window-size=1200,900",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        port_file = Path(self.profile) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"{binary} did not start its DevTools endpoint")
            time.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}{path}", timeout=timeout,
                                              suppress_origin=True)
        self._ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict:
        """Send one DevTools command and return its result (events received meanwhile are kept)."""
        msg_id = next(self._ids)
        msg: dict[str, Any] = {"id": msg_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        self.ws.send(json.dumps(msg))
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            reply = json.loads(self.ws.recv())
            if reply.get("id") == msg_id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)
        raise TimeoutError(f"{method}: no reply in {self.timeout} s")

    def _wait_event(self, name: str, session: str) -> None:
        deadline = time.monotonic() + self.timeout
        while time.monotonic() < deadline:
            if any(e.get("method") == name and e.get("sessionId") == session for e in self.events):
                return
            self.events.append(json.loads(self.ws.recv()))
        raise TimeoutError(f"{name} not seen in {self.timeout} s")

    def _eval(self, expression: str, session: str, promise: bool = False) -> Any:
        res = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                             "awaitPromise": promise, "timeout": self.timeout * 1000}, session)
        if "exceptionDetails" in res:
            raise RuntimeError(f"page script failed: {res['exceptionDetails'].get('text')}")
        return res["result"].get("value")

    def check(self, page: Path, screenshot: Path | None = None) -> PageCheck:
        """Load ``page`` from ``file://`` offline and check requests, images and equations (see module doc)."""
        url = page.resolve().as_uri()
        self.events.clear()
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        result = PageCheck(url)
        try:
            for domain in ("Page", "Network", "Runtime", "Log"):
                self.send(f"{domain}.enable", {}, session)
            self.send("Network.emulateNetworkConditions", {"offline": True, "latency": 0,
                                                           "downloadThroughput": -1, "uploadThroughput": -1}, session)
            self.send("Page.navigate", {"url": url}, session)
            self._wait_event("Page.loadEventFired", session)
            mathjax = self._eval(_MATHJAX_IDLE, session, promise=True)
            state = self._eval(_INSPECT, session)
            if screenshot is not None and state["typeset"]:
                self._screenshot(session, screenshot)
        finally:
            self.send("Target.closeTarget", {"targetId": target})
        mine = [e for e in self.events if e.get("sessionId") == session]
        result.requests = list(dict.fromkeys(e["params"]["request"]["url"] for e in mine
                                             if e.get("method") == "Network.requestWillBeSent"))
        result.images, result.equations = len(state["images"]), state["math_scripts"]
        p = result.problems
        p += [f"request left the machine: {u[:160]}" for u in result.requests if not u.startswith(LOCAL_SCHEMES)]
        failed = [(e["params"].get("errorText"), self._request_url(mine, e)) for e in mine
                  if e.get("method") == "Network.loadingFailed" and not e["params"].get("canceled")]
        # about:blank (a frame MathJax opens) never leaves the machine and carries no content
        p += [f"failed to load: {err} ({u[:160]})" for err, u in failed if not u.startswith("about:")]
        p += [f"image not loaded: {i['src']}" for i in state["images"] if not i["ok"]]
        if state["needs_math"] and mathjax == "absent":
            p.append("the page has $ maths but MathJax did not load")
        if state["text_has_display_dollars"] or state["text_has_bracket_math"]:
            p.append("raw $$ / \\( / \\[ left in the rendered text: an equation was not typeset")
        p += [f"raw inline TeX left: {s[:120]}" for s in state["raw_inline"]]
        p += [f"TeX error: {s}" for s in state["tex_errors"]]
        if state["math_scripts"] and not state["typeset"]:
            p.append(f"{state['math_scripts']} equations found but none typeset")
        return result

    @staticmethod
    def _request_url(events: list[dict[str, Any]], failed: dict[str, Any]) -> str:
        rid = failed["params"].get("requestId")
        return next((e["params"]["request"]["url"] for e in events if e.get("method") == "Network.requestWillBeSent"
                     and e["params"].get("requestId") == rid), "?")

    def _screenshot(self, session: str, path: Path) -> None:
        box = self._eval("""(() => { const e = document.querySelector('.MathJax_Display') ||
            document.querySelector('.MathJax'); e.scrollIntoView({block: 'center'});
            const r = e.getBoundingClientRect();
            return {x: Math.max(r.x + window.scrollX - 40, 0), y: Math.max(r.y + window.scrollY - 60, 0),
                    width: Math.max(r.width, 400) + 80, height: r.height + 120}; })()""", session)
        shot = self.send("Page.captureScreenshot", {"format": "png", "clip": {**box, "scale": 1},
                                                    "captureBeyondViewport": True}, session)
        path.write_bytes(base64.b64decode(shot["data"]))

    def close(self) -> None:
        """Stop the browser and remove its temporary profile."""
        try:
            if getattr(self, "ws", None):
                self.ws.close()
        finally:
            if self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
            shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def check_folder(folder: Path, screenshot: Path | None = None) -> list[PageCheck]:
    """Check every ``*.html`` directly in ``folder`` (index, notebook reports, docs pages)."""
    pages = sorted(folder.glob("*.html"))
    if not pages:
        raise FileNotFoundError(f"no .html pages in {folder}")
    out = []
    with Chromium() as browser:
        for p in pages:
            want = screenshot if screenshot is not None and not any(c.equations for c in out) else None
            out.append(browser.check(p, want))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--screenshot", type=Path, help="PNG of the first typeset display equation")
    args = ap.parse_args(argv)
    results = check_folder(args.folder, args.screenshot)
    for r in results:
        state = "ok  " if r.ok else "FAIL"
        print(f"{state} {Path(r.url).name}: {len(r.requests)} requests, {r.images} images, {r.equations} equations")
        for prob in r.problems:
            print(f"     {prob}")
    return 0 if all(r.ok for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
