#!/usr/bin/env python3
"""The web page in headless Chromium, driven over W3C WebDriver.

Against a running lab: starts `pocketinternet serve` on a free port of
127.0.0.1, logs in through the form, checks the map shows every pod, a
router's looking glass lists routes, a terminal runs `birdc show protocols`
and shows Established, the matrix is all ok and shows failures after `link
down` on a single-homed pod's only uplink (then `link up`), a capture started
from the page downloads and tshark reads it; a request without the session
cookie gets 401 and a WebSocket upgrade from a foreign Origin is refused.
Screenshots of the map and the matrix go to --out.

With --mock it runs the same page against tests/browser/mock_api.py (a fake
lab, no Docker): the lab-only steps are done through the mock instead.

Only 127.0.0.1 and the lab's nodes are ever contacted. Exit status 77 when
Chromium, chromedriver, the binary's serve command or the lab is missing.
Python standard library only.
"""
import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

SKIP = 77
HERE = os.path.dirname(os.path.abspath(__file__))
WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
XTERM_LIB = '/usr/share/nodejs/xterm/lib'
ELEMENT = 'element-6066-11e4-a52e-4f735466cecf'


class Fail(Exception):
    pass


class Skip(Exception):
    pass


def log(msg):
    print('browser: ' + msg, flush=True)


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_until(what, fn, timeout, every=0.25):
    end = time.time() + timeout
    last = None
    while time.time() < end:
        try:
            v = fn()
            if v:
                return v
        except (Fail, urllib.error.URLError, OSError) as e:
            last = e
        time.sleep(every)
    raise Fail('timed out after %ds waiting for %s%s' % (timeout, what, ' (%s)' % last if last else ''))


# ---------------------------------------------------------------- WebDriver

class WebDriver:
    """Just enough of W3C WebDriver, spoken to chromedriver over HTTP."""

    def __init__(self, chromium, chromedriver, tmp):
        self.port = free_port()
        self.proc = subprocess.Popen([chromedriver, '--port=%d' % self.port, '--allowed-ips=127.0.0.1'],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.base = 'http://127.0.0.1:%d' % self.port
        self.sid = None
        wait_until('chromedriver', lambda: self.call('GET', '/status')['value'].get('ready'), 20)
        caps = {'capabilities': {'alwaysMatch': {'browserName': 'chrome', 'goog:loggingPrefs': {'browser': 'ALL'},
                                                 'goog:chromeOptions': {
            'binary': chromium,
            'args': ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
                     '--window-size=1600,1000', '--user-data-dir=' + os.path.join(tmp, 'profile'),
                     '--no-first-run', '--disable-extensions', '--disable-background-networking',
                     '--disable-component-update', '--disable-sync', '--metrics-recording-only',
                     '--disable-default-apps', '--no-default-browser-check', '--no-pings',
                     '--disable-domain-reliability', '--disable-client-side-phishing-detection',
                     '--disable-features=OptimizationHints,MediaRouter,Translate']}}}}
        self.sid = self.call('POST', '/session', caps)['value']['sessionId']

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.base + path, data=data, method=method,
                                     headers={'Content-Type': 'application/json'})
        try:
            with urllib.request.urlopen(req, timeout=120) as r:
                return json.loads(r.read() or b'{}')
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors='replace')
            try:
                v = json.loads(detail)['value']
                detail = '%s: %s' % (v.get('error'), v.get('message', '').split('\n')[0])
            except (ValueError, KeyError, TypeError):
                pass
            raise Fail('WebDriver %s %s: %s' % (method, path, detail))

    def s(self, method, path, body=None):
        return self.call(method, '/session/%s%s' % (self.sid, path), body)['value']

    def go(self, url):
        self.s('POST', '/url', {'url': url})

    def js(self, script, *args):
        return self.s('POST', '/execute/sync', {'script': script, 'args': list(args)})

    def find(self, css):
        v = self.s("POST", "/element", {"using": "css selector", "value": css})
        return v[ELEMENT]

    def click(self, css):
        for attempt in range(3):   # live updates may redraw the element between find and click
            try:
                return self.s('POST', '/element/%s/click' % self.find(css), {})
            except Fail as e:
                if 'stale element' not in str(e) or attempt == 2:
                    raise
                time.sleep(0.2)

    def type(self, css, text, clear=True):
        e = self.find(css)
        if clear:
            self.s('POST', '/element/%s/clear' % e, {})
        self.s('POST', '/element/%s/value' % e, {'text': text})

    def visible(self, css):
        return self.js('const e = document.querySelector(arguments[0]);'
                       'return !!e && !e.closest("[hidden]") && e.getClientRects().length > 0;', css)

    def screenshot(self, path):
        png = base64.b64decode(self.s('GET', '/screenshot'))
        with open(path, 'wb') as fh:
            fh.write(png)
        log('screenshot %s (%d bytes)' % (path, len(png)))

    def cookies(self):
        return {c['name']: c['value'] for c in self.s('GET', '/cookie')}

    def quit(self):
        try:
            if self.sid:
                self.call('DELETE', '/session/' + self.sid)
        except (Fail, OSError):
            pass
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()


# ---------------------------------------------------------------- the server under test

class Server:
    """`pocketinternet serve`, or the mock, on a free port of 127.0.0.1."""

    def __init__(self, argv, password):
        self.port = free_port()
        self.url = 'http://127.0.0.1:%d' % self.port
        argv = [a.replace('@PORT@', str(self.port)) for a in argv]
        log('starting ' + ' '.join(argv))
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.password = password
        self.output = []
        self.got_pw = threading.Event()
        threading.Thread(target=self.read, daemon=True).start()
        if not self.password and not self.got_pw.wait(60) and not self.password:
            self.stop()
            raise Fail('serve printed no "password:" line in 60 s (an account exists already? pass --password); '
                       'its output:\n' + ''.join(self.output[-20:]))
        wait_until('the server to answer', lambda: self.status('/', None)[0] == 200, 30)

    def read(self):
        for line in self.proc.stdout:
            self.output.append(line)
            if line.startswith('password:') and not self.password:
                self.password = line.split(':', 1)[1].strip()
                self.got_pw.set()
            elif not line.startswith('password:'):
                sys.stdout.write('serve: ' + line)
        self.got_pw.set()

    def request(self, path, cookie, method='GET', body=None):
        req = urllib.request.Request(self.url + path, method=method,
                                     data=None if body is None else json.dumps(body).encode())
        if cookie:
            req.add_header('Cookie', 'pi_session=' + cookie)
        if body is not None:
            req.add_header('Content-Type', 'application/json')
        return urllib.request.urlopen(req, timeout=300)

    def status(self, path, cookie):
        try:
            with self.request(path, cookie) as r:
                return r.status, r.read()
        except urllib.error.HTTPError as e:
            return e.code, e.read()

    def get_json(self, path, cookie):
        code, body = self.status(path, cookie)
        if code != 200:
            raise Fail('GET %s: HTTP %d %s' % (path, code, body[:200]))
        return json.loads(body)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def ws_upgrade_status(port, path, origin, cookie):
    """The status code of a raw WebSocket upgrade request to 127.0.0.1
    (0 for a 101 whose Sec-WebSocket-Accept is wrong)."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = ['GET %s HTTP/1.1' % path, 'Host: 127.0.0.1:%d' % port, 'Upgrade: websocket', 'Connection: Upgrade',
             'Sec-WebSocket-Key: ' + key, 'Sec-WebSocket-Version: 13']
    if origin:
        lines.append('Origin: ' + origin)
    if cookie:
        lines.append('Cookie: pi_session=' + cookie)
    with socket.create_connection(('127.0.0.1', port), timeout=10) as s:
        s.sendall(('\r\n'.join(lines) + '\r\n\r\n').encode())
        data = b''
        while b'\r\n\r\n' not in data:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    head = data.split(b'\r\n\r\n')[0].decode('latin-1').split('\r\n')
    m = re.match(r'HTTP/1\.[01] (\d{3})', head[0])
    code = int(m.group(1)) if m else 0
    hdrs = {k.strip().lower(): v.strip() for k, _, v in (h.partition(':') for h in head[1:])}
    accept = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
    if code == 101 and hdrs.get('sec-websocket-accept') != accept:
        return 0
    return code


# ---------------------------------------------------------------- the lab

def single_homed(lab):
    """A broadband pod whose only relation is its one provider, and the link between them."""
    by_pod = {}
    for r in lab['relations']:
        by_pod.setdefault(r['a'], []).append(r)
        by_pod.setdefault(r['b'], []).append(r)
    pod_of = {n['name']: n['pod'] for n in lab['nodes']}
    for p in sorted(lab['pods'], key=lambda p: p['name']):
        rels = by_pod.get(p['name'], [])
        if p['tier'] != 'broadband' or len(rels) != 1 or rels[0]['kind'] != 'provider' or rels[0]['b'] != p['name']:
            continue
        prov = rels[0]['a']
        for l in lab['links']:
            pods = {pod_of.get(e['node']) for e in l['ends']}
            if pods == {p['name'], prov}:
                return p['name'], prov, l['name']
    raise Fail('the lab has no single-homed broadband pod with a link to its provider')


def pick_nodes(lab):
    """A running router of a transit pod (a node with BGP sessions), and the
    IPv4 address of a node in another pod: a web server, else any node."""
    pods = {p['name']: p for p in lab['pods']}
    in_sess = {s['a'] for s in lab['sessions']} | {s['b'] for s in lab['sessions']}
    routers = sorted((n for n in lab['nodes'] if n['name'] in in_sess and n['state'] == 'running'),
                     key=lambda n: (pods[n['pod']]['tier'] != 'transit', n['role'] != 'border', n['name']))
    if not routers:
        raise Fail('the lab has no running node with a BGP session')
    r = routers[0]
    def rank(n):
        return (n['role'] not in ('web', 'server'), n['name'] in in_sess, n['name'])
    for n in sorted(lab['nodes'], key=rank):
        v4 = [a.split('/')[0] for a in n['addrs'] if ':' not in a]
        if n['pod'] != r['pod'] and v4 and n['state'] == 'running' and pods[n['pod']]['tier'] != 'ixp':
            return r, n, v4[0]
    raise Fail('no node with an IPv4 address outside %s' % r['pod'])


# ---------------------------------------------------------------- the steps

class Test:
    def __init__(self, a, wd, srv):
        self.a, self.wd, self.srv = a, wd, srv
        self.cookie = None
        self.lab = None
        self.failures = []
        self.passed = 0

    def step(self, name, fn):
        log('--- ' + name)
        t0 = time.time()
        try:
            fn()
            self.passed += 1
            log('ok: %s (%.1f s)' % (name, time.time() - t0))
        except Fail as e:
            log('FAIL: %s: %s' % (name, e))
            self.failures.append(name)
            try:
                self.wd.screenshot(os.path.join(self.a.out, 'failed-%s.png' % re.sub(r'\W+', '-', name)))
            except (Fail, OSError):
                pass

    def check(self, cond, msg):
        if not cond:
            raise Fail(msg)

    def no_cookie(self):
        code, _ = self.srv.status('/api/v1/lab', None)
        self.check(code == 401, 'GET /api/v1/lab without a cookie: HTTP %d, not 401' % code)
        code, _ = self.srv.status('/api/v1/verify', 'f' * 64)
        self.check(code == 401, 'GET /api/v1/verify with a made-up cookie: HTTP %d, not 401' % code)

    def login(self):
        self.wd.go(self.srv.url + '/')
        wait_until('the login form', lambda: self.wd.visible('#login-form'), 20)
        self.wd.type('#login-user', 'trainer')
        self.wd.type('#login-password', 'not the password')
        self.wd.click('#login-submit')
        wait_until('the error for a wrong password', lambda: self.wd.js(
            'return document.querySelector("#login-error").textContent'), 20)
        self.check(not self.wd.visible('#app'), 'a wrong password opened the app')
        self.wd.type('#login-password', self.srv.password)
        self.wd.click('#login-submit')
        wait_until('the app after login', lambda: self.wd.visible('#app'), 30)
        self.cookie = self.wd.cookies().get('pi_session')
        self.check(self.cookie, 'no pi_session cookie after login')
        self.lab = self.srv.get_json('/api/v1/lab', self.cookie)

    def websocket_origin(self):
        port = self.srv.port
        own = 'http://127.0.0.1:%d' % port
        for path in ('/api/v1/events', '/api/v1/term/' + self.lab['nodes'][0]['name']):
            code = ws_upgrade_status(port, path, 'http://evil.example', self.cookie)
            self.check(code != 101 and code >= 400, '%s upgrade from a foreign Origin: HTTP %d' % (path, code))
            code = ws_upgrade_status(port, path, own, None)
            self.check(code != 101 and code >= 400, '%s upgrade without a session: HTTP %d' % (path, code))
        code = ws_upgrade_status(port, '/api/v1/events', own, self.cookie)
        self.check(code == 101, 'events upgrade with the session and the own Origin: HTTP %d, not 101' % code)

    def map(self):
        want = sorted(p['name'] for p in self.lab['pods'])
        got = wait_until('the map', lambda: self.wd.js(
            'return Array.from(document.querySelectorAll("#map [data-pod]")).map(e => e.getAttribute("data-pod")).sort()'), 20)
        self.check(got == want, 'the map shows pods %s, the lab has %s' % (got, want))
        rels = len(self.lab['relations'])
        edges = self.wd.js('return document.querySelectorAll("#map .edge[data-session]").length')
        self.check(edges == rels, 'the map draws %d edges for %d relations' % (edges, rels))
        wait_until('live state on the map', lambda: self.wd.js(
            'return document.querySelector("#live").getAttribute("data-live") === "on"'), 20)
        self.wd.click('#zoom-fit')
        self.settle_map()
        under = self.wd.js(
            'const l = document.querySelector("#legend-box").getBoundingClientRect();'
            'return Array.from(document.querySelectorAll("#map [data-pod]")).filter(e => {'
            '  const r = e.getBoundingClientRect();'
            '  return r.right > l.left && r.left < l.right && r.bottom > l.top && r.top < l.bottom;'
            '}).map(e => e.getAttribute("data-pod"));')
        self.check(not under, 'the fitted map puts pods %s under the open legend' % under)
        self.wd.screenshot(os.path.join(self.a.out, 'map.png'))

    def open_router(self, router):
        self.wd.click('#tabs [data-tab="map"]')
        self.wd.click('#map [data-pod="%s"]' % router['pod'])
        wait_until('the router view', lambda: self.wd.visible('#detail svg.routers'), 10)
        self.wd.click('#detail .rnode[data-node="%s"]' % router['name'])
        wait_until('the node panel', lambda: self.wd.visible('#detail .node-panel[data-node="%s"]' % router['name']), 10)

    def looking_glass(self):
        router, target, addr = pick_nodes(self.lab)
        self.router, self.target, self.addr = router, target, addr
        self.open_router(router)
        wait_until('the router\'s sessions', lambda: self.wd.js(
            'return document.querySelectorAll("#detail .node-panel tr.lg-session").length'), 60)
        self.wd.screenshot(os.path.join(self.a.out, 'map-router.png'))
        self.wd.click('#detail .node-panel .open-lg')
        wait_until('the looking glass tab', lambda: self.wd.visible('#lg-form'), 10)
        self.check(self.wd.js('return document.querySelector("#lg-node").value') == router['name'],
                   'the looking glass did not open on ' + router['name'])
        self.wd.type('#lg-q', addr)
        self.wd.click('#lg-go')
        wait_until('looking glass routes', lambda: self.wd.js(
            'const o = document.querySelector("#lg-out"); return o.getAttribute("data-state") !== "loading" && '
            'o.getAttribute("data-state") !== "empty" && o.getAttribute("data-state")'), 120)
        n = self.wd.js('return document.querySelectorAll("#lg-out tr.lg-route").length')
        err = self.wd.js('return document.querySelector("#lg-status").textContent')
        self.check(n > 0, 'no routes listed for %s on %s (%s)' % (addr, router['name'], err))
        log('%d routes for %s on %s' % (n, addr, router['name']))

    def term_text(self):
        return self.wd.js('const t = window.pocketinternet.activeTerm; return t ? t.text() : ""') or ''

    def term_type(self, text):
        self.wd.type('.term-pane.active textarea.xterm-helper-textarea, .term-pane.active .term-plain', text, clear=False)

    def terminal(self):
        self.open_router(self.router)
        self.wd.click('#detail .node-panel .open-term')
        wait_until('the terminal to connect', lambda: self.wd.js(
            'const p = document.querySelector(".term-pane.active"); return p && p.getAttribute("data-state") === "open"'), 30)
        xterm = self.wd.js('return !!document.querySelector(".term-pane.active .xterm-rows")')
        if self.a.mock and self.a.plain_terminal:
            log('the page has a plain text terminal (%s)' % ('node-xterm is not installed' if not os.path.isdir(XTERM_LIB)
                                                            else '--plain-terminal'))
            self.check(not xterm and self.wd.js('return !!document.querySelector(".term-pane.active .term-plain")'),
                       'no plain text terminal without xterm.js')
        else:
            self.check(xterm, 'the terminal is not an xterm.js terminal (is /xterm.js a browser build? see web/meson.build)')
        wait_until('a prompt', lambda: len(self.term_text().strip()) > 0, 30)
        self.term_type('birdc show protocols\ue007')
        wait_until('"Established" in the terminal', lambda: 'Established' in self.term_text(), 30)
        self.wd.screenshot(os.path.join(self.a.out, 'terminal.png'))

    def matrix_result(self, gen_before, timeout):
        wait_until('verify results', lambda: self.wd.js(
            'const m = document.querySelector("#matrix"); return m.getAttribute("data-state") === "error" || '
            '(m.getAttribute("data-state") === "done" && +m.getAttribute("data-gen") > arguments[0])', gen_before), timeout)
        st = self.wd.js('return document.querySelector("#matrix").getAttribute("data-state")')
        if st == 'error':
            raise Fail('verify failed: ' + self.wd.js('return document.querySelector("#matrix-status").textContent'))
        return self.wd.js('const c = s => document.querySelectorAll("#matrix .cell[data-ok=" + s + "]").length;'
                          'return [c("true"), c("false"), +document.querySelector("#matrix").getAttribute("data-gen")]')

    def refresh_matrix(self):
        gen = int(self.wd.js('return +document.querySelector("#matrix").getAttribute("data-gen") || 0'))
        wait_until('the refresh button', lambda: self.wd.js('return !document.querySelector("#matrix-refresh").disabled'), 300)
        gen = int(self.wd.js('return +document.querySelector("#matrix").getAttribute("data-gen") || 0'))
        self.wd.click('#matrix-refresh')
        return self.matrix_result(gen, 300)

    def matrix_ok(self):
        self.wd.click('#tabs [data-tab="matrix"]')
        ok, bad, _ = self.matrix_result(0, 300)
        tries = 0
        while bad and tries < 3 and not self.a.mock:   # a lab just set up may still converge
            tries += 1
            log('%d failing cells; verify again in 20 s' % bad)
            time.sleep(20)
            ok, bad, _ = self.refresh_matrix()
        self.wd.screenshot(os.path.join(self.a.out, 'matrix.png'))
        self.check(ok > 0 and bad == 0, 'the matrix has %d ok and %d failing cells' % (ok, bad))

    def set_link(self, link, state):
        if self.a.mock:
            with self.srv.request('/mock/link', self.cookie, 'POST', {'name': link, 'state': state}) as r:
                r.read()
            return
        r = pi(self.a, '--lab', self.a.lab, 'link', state, link, timeout=120)
        if r.returncode:
            raise Fail('link %s %s: exit %d: %s' % (state, link, r.returncode, r.stdout))

    def edge_state(self, a, b):
        return self.wd.js('const e = document.querySelector(`#map .edge[data-a="${arguments[0]}"][data-b="${arguments[1]}"]`);'
                          'return e && e.getAttribute("data-state")', a, b)

    def link_down(self):
        pod, prov, link = single_homed(self.lab)
        log('single-homed %s, provider %s, link %s' % (pod, prov, link))
        self.set_link(link, 'down')
        self.link_is_down = link
        ok, bad, _ = self.refresh_matrix()
        self.check(bad > 0, 'after link down %s the matrix still has no failing cell (%d ok)' % (link, ok))
        self.wd.click('#matrix .cell[data-ok="false"]')
        wait_until('an explanation', lambda: self.wd.visible('#explain') and self.wd.js(
            'return document.querySelector("#explain").textContent.length > 20'), 10)
        text = self.wd.js('return document.querySelector("#explain").textContent')
        self.check(pod in text or 'ession' in text, 'the explanation does not name %s: %s' % (pod, text[:200]))
        self.wd.screenshot(os.path.join(self.a.out, 'matrix-failing.png'))
        self.wd.click('#tabs [data-tab="map"]')
        wait_until('the %s--%s edge shown down' % (prov, pod), lambda: self.edge_state(prov, pod) == 'down', 120)
        self.wd.screenshot(os.path.join(self.a.out, 'map-link-down.png'))
        self.set_link(link, 'up')
        self.link_is_down = None
        wait_until('the %s--%s edge back up' % (prov, pod), lambda: self.edge_state(prov, pod) == 'up', 180)

    def capture(self):
        router, addr = self.router, self.addr
        self.wd.click('#tabs [data-tab="captures"]')
        self.wd.js('const s = document.querySelector("#cap-node"); s.value = arguments[0];'
                   's.dispatchEvent(new Event("change"));', router['name'])
        self.wd.type('#cap-filter', 'icmp')
        self.wd.click('#cap-start')
        cid = wait_until('the capture row', lambda: self.wd.js(
            'const r = document.querySelector("#cap-list tr[data-capture]"); return r && r.getAttribute("data-capture")'), 30)
        # traffic: the router's terminal pings another pod's node
        self.wd.click('#tabs [data-tab="terms"]')
        self.term_type('ping -c 3 %s\ue007' % addr)
        wait_until('ping to finish', lambda: 'packets transmitted' in self.term_text(), 30)
        self.wd.click('#tabs [data-tab="captures"]')
        wait_until('packets counted', lambda: int(self.wd.js(
            'return document.querySelector(`#cap-list tr[data-capture="${arguments[0]}"] .cap-packets`).textContent', cid)) > 0, 30)
        self.wd.click('#cap-list tr[data-capture="%s"] .cap-stop' % cid)
        wait_until('the capture to stop', lambda: self.wd.js(
            'return document.querySelector(`#cap-list tr[data-capture="${arguments[0]}"]`).getAttribute("data-running") === "false"', cid), 30)
        href = self.wd.js('return document.querySelector(`#cap-list tr[data-capture="${arguments[0]}"] .cap-download`).getAttribute("href")', cid)
        self.check(href == '/api/v1/capture/%s/pcapng' % cid, 'download link is ' + str(href))
        code, body = self.srv.status(href, None)
        self.check(code == 401, 'the pcapng without a session: HTTP %d, not 401' % code)
        path = os.path.join(self.a.out, 'capture.pcapng')
        with self.srv.request(href, self.cookie) as r:
            self.check(r.headers.get('Content-Type', '').startswith('application/vnd.tcpdump.pcap-ng'),
                       'pcapng Content-Type is ' + str(r.headers.get('Content-Type')))
            with open(path, 'wb') as fh:
                fh.write(r.read())
        tshark = shutil.which('tshark')
        self.check(tshark, 'tshark is not installed')
        r = subprocess.run([tshark, '-n', '-r', path], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=60)
        pkts = [l for l in r.stdout.splitlines() if l.strip()]
        self.check(r.returncode == 0 and pkts, 'tshark -r %s: exit %d, %d packets: %s' % (path, r.returncode, len(pkts),
                                                                                        (r.stdout + r.stderr)[-300:]))
        log('tshark reads %d packets, e.g. %s' % (len(pkts), pkts[0].strip()))

    def paths(self):
        src = self.router['name']
        self.wd.click('#tabs [data-tab="paths"]')
        self.wd.js('document.querySelector("#paths-from").value = arguments[0];'
                   'document.querySelector("#paths-to").value = arguments[1];', src, self.target['name'])
        self.wd.click('#paths-go')
        wait_until('paths', lambda: self.wd.js(
            'const s = document.querySelector("#paths-out").getAttribute("data-state");'
            'return s === "done" || s === "error"'), 180)
        err = self.wd.js('return document.querySelector("#paths-status").textContent')
        hops = self.wd.js('return document.querySelectorAll("#paths-out tr.hop").length')
        self.check(hops > 0, 'no traceroute hops from %s to %s (%s)' % (src, self.target['name'], err))

    def incident(self):
        """Mock only: an incident appears on the page without a reload."""
        pod = self.lab['pods'][-1]['name']
        with self.srv.request('/mock/incident', self.cookie, 'POST', {'kind': 'hijack', 'attacker': pod}) as r:
            r.read()
        self.wd.click('#tabs [data-tab="map"]')
        wait_until('the incident banner', lambda: self.wd.visible('#incidents .incident'), 20)
        wait_until('the incident on the map', lambda: self.wd.js(
            'return !!document.querySelector(`#map [data-pod="${arguments[0]}"][data-incident]`)', pod), 20)
        self.wd.screenshot(os.path.join(self.a.out, 'map-incident.png'))
        with self.srv.request('/mock/incident', self.cookie, 'POST', {'clear': True}) as r:
            r.read()
        wait_until('the incident banner gone', lambda: not self.wd.visible('#incidents'), 20)

    def console_errors(self):
        """JavaScript errors the page raised (failed loads of 401 answers are expected)."""
        try:
            entries = self.wd.s('POST', '/se/log', {'type': 'browser'})
        except Fail as e:
            log('no browser log: %s' % e)
            return
        errs = [e['message'] for e in entries if e.get('level') == 'SEVERE' and 'Failed to load resource' not in e['message']
                and 'favicon.ico' not in e['message']]
        if self.a.mock and self.a.plain_terminal:   # Debian's stub fails to load, as expected
            errs = [e for e in errs if '/xterm.js' not in e]
        self.check(not errs, 'the page logged errors:\n' + '\n'.join(errs[:10]))

    def terminals(self):
        self.wd.click('#tabs [data-tab="terms"]')
        n = self.wd.js('return document.querySelectorAll(".term-pane").length')
        self.wd.js('document.querySelector("#term-node").value = arguments[0]', self.target['name'])
        self.wd.click('#term-open')
        wait_until('a second terminal', lambda: self.wd.js(
            'return document.querySelectorAll(".term-pane[data-state=open]").length') == n + 1, 30)
        self.wd.click('.term-tab.active .term-close')
        self.check(self.wd.js('return document.querySelectorAll(".term-pane").length') == n,
                   'closing a terminal tab left its pane')

    def shots(self):
        """For docs/: the whole lab fitted, a zoomed map and the matrix, as the
        page shows them (no checks beyond the page having drawn them)."""
        name = self.a.shots_name
        want = len(self.lab['pods'])
        wait_until('the map', lambda: self.wd.js('return document.querySelectorAll("#map [data-pod]").length') == want, 30)
        wait_until('live state on the map', lambda: self.wd.js(
            'return document.querySelector("#live").getAttribute("data-live") === "on"'), 30)
        self.wd.click('#zoom-fit')
        self.settle_map()
        self.wd.screenshot(os.path.join(self.a.out, 'map-%s.png' % name))
        top = sorted(self.lab['pods'], key=lambda p: (p['tier'] != 'transit', p['name']))[0]['name']
        self.zoom_at(top, 2.0)
        self.settle_map()
        self.wd.screenshot(os.path.join(self.a.out, 'map-%s-zoom.png' % name))
        self.wd.click('#zoom-fit')
        self.wd.click('#tabs [data-tab="matrix"]')
        ok, bad, _ = self.matrix_result(0, 600)
        log('the matrix: %d ok, %d failing cells' % (ok, bad))
        self.wd.screenshot(os.path.join(self.a.out, 'matrix-%s.png' % name))

    def zoom_at(self, pod, factor):
        """Zoom with the mouse wheel over a pod until the map is factor times larger."""
        k0 = self.wd.js('return window.pocketinternet.view.k')
        for _ in range(50):
            if self.wd.js('return window.pocketinternet.view.k') >= factor * k0:
                return
            self.wd.js('const r = document.querySelector(`#map [data-pod="${arguments[0]}"]`).getBoundingClientRect();'
                       'document.querySelector("#map").dispatchEvent(new WheelEvent("wheel", {clientX: r.x + r.width / 2,'
                       ' clientY: r.y + r.height / 2, deltaY: -100, bubbles: true, cancelable: true}));', pod)
        raise Fail('the map did not zoom on the mouse wheel')

    def settle_map(self):
        """The page draws the map sharp 160 ms after the last zoom step."""
        time.sleep(0.6)
        wait_until('the map drawn', lambda: self.wd.js('return document.querySelector("#map").style.transform === ""'), 10)


def need(path_or_name):
    p = shutil.which(path_or_name)
    if not p:
        raise Skip('%s is not installed' % path_or_name)
    return p


def pi(a, *args, timeout=600):
    argv = [a.binary] + list(args)
    log('running ' + ' '.join(argv))
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=timeout)


def lab_running(a):
    return pi(a, '--lab', a.lab, 'status', '--format', 'json', timeout=120).returncode == 0


def real_server_argv(a):
    """serve's command line; with --setup FILE, sets the lab up first when it is not running."""
    if pi(a, 'serve', '--help', timeout=30).returncode != 0:
        raise Skip('%s has no serve command' % a.binary)
    if not lab_running(a):
        if not a.setup:
            raise Skip('lab %s is not running (start it, or give --setup LAB.yml)' % a.lab)
        if not (os.environ.get('DOCKER_HOST') or os.path.exists('/var/run/docker.sock')):
            raise Skip('lab %s is not running and there is no Docker engine to set it up' % a.lab)
        r = pi(a, '-c', a.setup, 'setup', '--timeout', '240', '--verify', timeout=1200)
        a.set_up = True
        if r.returncode != 0:
            raise Fail('setup of %s exited %d:\n%s' % (a.setup, r.returncode, r.stdout[-2000:]))
    return [a.binary, 'serve', '--lab', a.lab, '--listen', '127.0.0.1:@PORT@']


def lab_name(a):
    """'default' names the lab of the default lab file (labs/lab.yml, or --setup's)."""
    if a.lab != 'default':
        return a.lab
    src = os.environ.get('PI_SOURCE_DIR', os.path.join(HERE, '..', '..'))
    with open(a.setup or os.path.join(src, 'labs', 'lab.yml')) as fh:
        for line in fh:
            m = re.match(r'name:\s*(\S+)', line)
            if m:
                return m.group(1).strip('"\'')
    raise Skip('no name: in the default lab file')


def run(a):
    chromium = need(a.chromium)
    chromedriver = need(a.chromedriver)
    os.makedirs(a.out, exist_ok=True)
    if a.mock:
        argv = [sys.executable, os.path.join(HERE, 'mock_api.py'), '--listen', '127.0.0.1:@PORT@', '--pods', a.pods]
        # without node-xterm the mock can only serve Debian's stub xterm.js
        a.plain_terminal = a.plain_terminal or not os.path.isdir(XTERM_LIB)
        if a.plain_terminal:
            argv.append('--debian-xterm')
    else:
        a.lab = lab_name(a)
    tmp = tempfile.mkdtemp(prefix='pi-browser-')
    wd = srv = t = None
    try:
        if not a.mock:
            argv = real_server_argv(a)
        srv = Server(argv, a.password)
        wd = WebDriver(chromium, chromedriver, tmp)
        t = Test(a, wd, srv)
        t.link_is_down = None
        if a.shots_only:
            t.step('login through the form', t.login)
            if t.cookie:
                t.step('screenshots of the map and the matrix', t.shots)
            return finish(t)
        t.step('401 without a session', t.no_cookie)
        t.step('login through the form', t.login)
        if not t.cookie:
            raise Fail('could not log in; nothing else to test')
        t.step('WebSocket Origin and session checks', t.websocket_origin)
        t.step('the map shows every pod', t.map)
        t.step('a router\'s looking glass lists routes', t.looking_glass)
        if getattr(t, 'router', None):
            t.step('a terminal runs birdc', t.terminal)
        t.step('the matrix is all ok', t.matrix_ok)
        t.step('link down shows failing cells', t.link_down)
        if getattr(t, 'router', None):
            t.step('a capture downloads and tshark reads it', t.capture)
            t.step('paths between two nodes', t.paths)
            t.step('several terminals, closed with their tab', t.terminals)
        if a.mock:
            t.step('an incident shows live', t.incident)
        t.step('no JavaScript errors', t.console_errors)
    finally:
        if t and t.link_is_down:
            try:
                t.set_link(t.link_is_down, 'up')
            except Fail as e:
                log('could not bring %s up again: %s' % (t.link_is_down, e))
        if wd:
            wd.quit()
        if srv:
            srv.stop()
        if a.set_up:
            pi(a, '-c', a.setup, 'teardown')
        shutil.rmtree(tmp, ignore_errors=True)
    return finish(t)


def finish(t):
    if t.failures:
        log('failed: ' + '; '.join(t.failures))
    print('browser: %d passed, %d failed' % (t.passed, len(t.failures)), flush=True)
    return 1 if t.failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--binary', help='the pocketinternet binary (not with --mock)')
    ap.add_argument('--lab', default='default', help="the running lab's name ('default': labs/lab.yml's)")
    ap.add_argument('--out', required=True, help='directory for screenshots and the capture')
    ap.add_argument('--setup', metavar='LAB.yml', help='set this lab up when it is not running (and tear it down after)')
    ap.add_argument('--mock', action='store_true', help='test the page against tests/browser/mock_api.py')
    ap.add_argument('--plain-terminal', action='store_true',
                    help="with --mock: serve Debian's xterm.js stub and test the page's plain text terminal")
    ap.add_argument('--pods', default='3,2,4,3', help='with --mock: transit,ixp,broadband,content pod counts')
    ap.add_argument('--password', default=os.environ.get('POCKETINTERNET_WEB_PASSWORD'),
                    help="the trainer's password, when serve does not print one (default: $POCKETINTERNET_WEB_PASSWORD)")
    ap.add_argument('--shots-only', action='store_true',
                    help='only log in and save map-NAME.png, map-NAME-zoom.png and matrix-NAME.png of the '
                         'running lab to --out (for docs/img), then exit')
    ap.add_argument('--shots-name', help="NAME in those files (default: --lab as given, 'mock' with --mock)")
    ap.add_argument('--chromium', default='chromium')
    ap.add_argument('--chromedriver', default='chromedriver')
    a = ap.parse_args()
    if not a.mock and not a.binary:
        ap.error('give --binary, or --mock')
    if a.plain_terminal and not a.mock:
        ap.error('--plain-terminal is for --mock only')
    if a.shots_only and a.setup:
        ap.error('--shots-only takes the lab that runs; it does not set one up')
    a.shots_name = a.shots_name or ('mock' if a.mock else a.lab)
    if not re.fullmatch(r'[\w.-]+', a.shots_name):
        ap.error('--shots-name: letters, digits, ".", "-" and "_" only')
    a.set_up = False
    try:
        return run(a)
    except Skip as e:
        log('SKIP: %s' % e)
        return SKIP
    except Fail as e:
        log('FAIL: %s' % e)
        return 1


if __name__ == '__main__':
    sys.exit(main())
