#!/usr/bin/env python3
"""Load on `pocketinternet serve`: terminals and map-watching browsers at once.

Against a running `serve` (--url), it logs in and then, for --seconds:

- opens --terminals terminal WebSockets (/api/v1/term/NODE), each on another
  running node of the lab (round-robin when there are fewer nodes), each
  typing `echo PI""<id>_<n>` once a second and timing the round trip until
  `PI<id>_<n>` comes back (the quotes keep the shell's echo of the typed line
  from matching);
- simulates --browsers browsers with the map open: each logs in, fetches
  GET /api/v1/me and GET /api/v1/lab, holds the events WebSocket and then
  fetches GET /api/v1/lab every 5 s and a looking glass
  GET /api/v1/lg/ROUTER?q=ADDRESS now and then;
- measures, from a separate process (so that the load's own threads do not
  delay it), the latency of GET /api/v1/lab and GET /api/v1/me, first with
  the server idle (--idle-seconds) and then under the load.

It prints a markdown table: samples, median and 99th percentile of each
latency, errors, and the server's memory (VmRSS, VmHWM from
/proc/PID/status) when --pid is given. Exit status 1 when anything failed
or timed out (an unresponsive server fails the run), 2 for bad arguments.

--mock starts tests/browser/mock_api.py and runs a 5-second load on it: a
self-check of this client without a lab (the figures mean nothing).

Python standard library only; the WebSocket client (RFC 6455, masked client
frames) is written here. Only the given URL is contacted.
"""
import argparse
import base64
import hashlib
import http.client
import json
import math
import multiprocessing
import os
import random
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.parse

WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
HERE = os.path.dirname(os.path.abspath(__file__))
MOCK = os.path.join(HERE, '..', 'tests', 'browser', 'mock_api.py')
TIMEOUT = 10.0  # seconds for any one request or terminal round trip


class BenchError(Exception):
    pass


# ---------------------------------------------------------------- WebSocket client

class WebSocket:
    """An RFC 6455 client on a blocking socket: every frame it sends is masked."""

    def __init__(self, base, path, cookie, timeout=TIMEOUT):
        u = urllib.parse.urlsplit(base)
        if u.scheme != 'http':
            raise BenchError('only http:// URLs (the benchmark runs beside serve)')
        host, port = u.hostname, u.port or 80
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b''
        self.partial = (None, b'')   # (opcode, data) of a fragmented message
        self.lock = threading.Lock()
        self.closed = False
        key = base64.b64encode(os.urandom(16)).decode()
        hostport = '%s:%d' % (host, port)
        req = ('GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
               'Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\nOrigin: http://%s\r\n'
               'Cookie: pi_session=%s\r\n\r\n') % (path, hostport, key, hostport, cookie)
        self.sock.sendall(req.encode())
        while b'\r\n\r\n' not in self.buf:
            self._fill()
        head, self.buf = self.buf.split(b'\r\n\r\n', 1)
        lines = head.decode('latin-1').split('\r\n')
        status = lines[0].split(' ')
        if len(status) < 2 or status[1] != '101':
            self.sock.close()
            raise BenchError('WebSocket %s: %s' % (path, lines[0]))
        hdrs = {k.strip().lower(): v.strip() for k, _, v in (h.partition(':') for h in lines[1:])}
        want = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        if hdrs.get('sec-websocket-accept') != want:
            self.sock.close()
            raise BenchError('WebSocket %s: wrong Sec-WebSocket-Accept' % path)

    def _fill(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise BenchError('connection closed by the server')
        self.buf += chunk

    @staticmethod
    def mask(data, key):
        """XOR with the 4-byte key repeated, as one big integer (fast enough)."""
        if not data:
            return data
        k = (key * (len(data) // 4 + 1))[:len(data)]
        return (int.from_bytes(data, 'big') ^ int.from_bytes(k, 'big')).to_bytes(len(data), 'big')

    def send(self, opcode, data):
        n = len(data)
        if n < 126:
            hdr = struct.pack('!BB', 0x80 | opcode, 0x80 | n)
        elif n < 65536:
            hdr = struct.pack('!BBH', 0x80 | opcode, 0x80 | 126, n)
        else:
            hdr = struct.pack('!BBQ', 0x80 | opcode, 0x80 | 127, n)
        key = os.urandom(4)
        with self.lock:
            self.sock.sendall(hdr + key + self.mask(data, key))

    def frame(self):
        """One whole frame (fin, opcode, payload) off the buffer, reading as
        needed; a timeout leaves a partial frame in the buffer for next time."""
        while True:
            b = self.buf
            if len(b) >= 2:
                n, at = b[1] & 0x7f, 2
                if n == 126 and len(b) >= 4:
                    n, at = struct.unpack('!H', b[2:4])[0], 4
                elif n == 127 and len(b) >= 10:
                    n, at = struct.unpack('!Q', b[2:10])[0], 10
                if (b[1] & 0x7f) < 126 or at > 2:
                    key = None
                    if b[1] & 0x80:
                        key, at = b[at:at + 4], at + 4
                    if len(b) >= at + n:
                        data, self.buf = b[at:at + n], b[at + n:]
                        return b[0] & 0x80, b[0] & 0x0f, self.mask(data, key) if key else data
            self._fill()

    def recv(self):
        """The next data message as (opcode, bytes): 1 text, 2 binary.
        Answers pings; a close from the server raises BenchError. A timeout
        keeps the fragments read so far for the next call."""
        while True:
            fin, opcode, data = self.frame()
            if opcode == 9:
                self.send(10, data)
                continue
            if opcode == 10:
                continue
            if opcode == 8:
                self.close(data[:2])
                raise BenchError('the server closed the WebSocket (%s)' % data[2:].decode(errors='replace'))
            if opcode != 0:
                self.partial = (opcode, b'')
            op, msg = self.partial
            self.partial = (op, msg + data)
            if fin:
                self.partial = (None, b'')
                return op, msg + data

    def close(self, code=b'\x03\xe8'):
        if self.closed:
            return
        self.closed = True
        try:
            self.send(8, code)
        except OSError:
            pass
        self.sock.close()


# ---------------------------------------------------------------- HTTP

class Client:
    """One keep-alive HTTP connection with a session cookie, like a browser tab."""

    def __init__(self, base, cookie=None):
        u = urllib.parse.urlsplit(base)
        self.host, self.port = u.hostname, u.port or 80
        self.cookie = cookie
        self.conn = None

    def request(self, method, path, body=None):
        """(status, body, response); one retry on a fresh connection if the kept one was closed."""
        hdrs = {}
        if self.cookie:
            hdrs['Cookie'] = 'pi_session=' + self.cookie
        if body is not None:
            body = json.dumps(body).encode()
            hdrs['Content-Type'] = 'application/json'
        for attempt in (0, 1):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
                self.conn.connect()
                self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                self.conn.request(method, path, body=body, headers=hdrs)
                r = self.conn.getresponse()
                data = r.read()
                if r.getheader('Connection', '').lower() == 'close':
                    self.conn.close()
                    self.conn = None
                return r.status, data, r
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn.close()
                self.conn = None
                if attempt:
                    raise
            except (OSError, http.client.HTTPException):
                self.conn.close()        # a timeout leaves it mid-request: start afresh next time
                self.conn = None
                raise

    def login(self, user, password):
        # serve hashes passwords slowly and queues at most 8 logins: a class
        # logging in at once gets 503 "try again in a second", and tries again.
        for _ in range(30):
            code, data, r = self.request('POST', '/api/v1/login', {'user': user, 'password': password})
            if code != 503:
                break
            time.sleep(1)
        if code != 200:
            raise BenchError('login as %s: HTTP %d %s' % (user, code, data[:200].decode(errors='replace')))
        for part in (r.getheader('Set-Cookie') or '').split(';'):
            k, _, v = part.strip().partition('=')
            if k == 'pi_session':
                self.cookie = v
                return v
        raise BenchError('login gave no pi_session cookie')

    def get_json(self, path):
        code, data, _ = self.request('GET', path)
        if code != 200:
            raise BenchError('GET %s: HTTP %d' % (path, code))
        return json.loads(data)


# ---------------------------------------------------------------- measurements

class Stats:
    """Latency samples (seconds) and errors of one kind, shared by threads."""

    def __init__(self):
        self.lock = threading.Lock()
        self.samples, self.errors, self.first_error = [], 0, None

    def add(self, seconds):
        with self.lock:
            self.samples.append(seconds)

    def error(self, why):
        with self.lock:
            self.errors += 1
            self.first_error = self.first_error or str(why)

    def timed(self, fn):
        t0 = time.monotonic()
        try:
            fn()
        except (BenchError, OSError, ValueError, http.client.HTTPException) as e:
            self.error(e)
            return
        self.add(time.monotonic() - t0)


def percentile(xs, p):
    """Nearest-rank percentile of a sorted list."""
    return xs[max(0, math.ceil(p / 100.0 * len(xs)) - 1)]


def ms(x):
    return '%.1f' % (x * 1000.0)


def row(what, st):
    xs = sorted(st.samples)
    if not xs:
        return '| %s | 0 | - | - | %d |' % (what, st.errors)
    return '| %s | %d | %s | %s | %d |' % (what, len(xs), ms(percentile(xs, 50)), ms(percentile(xs, 99)), st.errors)


def ok_get(client, path):
    def go():
        code, _, _ = client.request('GET', path)
        if code != 200:
            raise BenchError('GET %s: HTTP %d' % (path, code))
    return go


# ---------------------------------------------------------------- the probe (own process)

def probe(base, cookie, phases, conn):
    """GET /api/v1/lab and /api/v1/me in turn, 10 a second, through each
    phase (name, seconds); sends back {phase: {path: (samples, errors, first)}}."""
    c = Client(base, cookie)
    out = {}
    for name, seconds in phases:
        st = {'lab': Stats(), 'me': Stats()}
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for what in ('lab', 'me'):
                st[what].timed(ok_get(c, '/api/v1/' + what))
            time.sleep(0.1)
        out[name] = {k: (v.samples, v.errors, v.first_error) for k, v in st.items()}
    conn.send(out)
    conn.close()


# ---------------------------------------------------------------- the load

class Load:
    def __init__(self, a, lab):
        self.a = a
        self.stop = threading.Event()
        self.term = Stats()
        self.term_open = Stats()
        self.blab = Stats()
        self.blg = Stats()
        self.events = Stats()
        self.threads = []
        running = [n for n in lab['nodes'] if n.get('state', 'running') == 'running']
        if a.nodes:
            names = {n['name'] for n in lab['nodes']}
            bad = [n for n in a.nodes if n not in names]
            if bad:
                raise BenchError('no node %s in the lab' % ', '.join(bad))
            self.term_nodes = a.nodes
        else:
            self.term_nodes = [n['name'] for n in running]
        in_sess = {s['a'] for s in lab['sessions']} | {s['b'] for s in lab['sessions']}
        self.routers = [n['name'] for n in running if n['name'] in in_sess]
        self.addrs = [x.split('/')[0] for n in running for x in n['addrs']]
        if not self.term_nodes:
            raise BenchError('the lab has no running node to open a terminal on')

    def spawn(self, fn, *args):
        t = threading.Thread(target=fn, args=args, daemon=True)
        t.start()
        self.threads.append(t)

    def terminal(self, i, cookie):
        node = self.term_nodes[i % len(self.term_nodes)]
        path = '/api/v1/term/' + urllib.parse.quote(node)
        t0 = time.monotonic()
        try:
            ws = WebSocket(self.a.url, path, cookie, timeout=30)
            ws.send(1, json.dumps({'resize': [120, 40]}).encode())
            got = b''
            while not got.strip():           # the shell's first output (its prompt)
                op, data = ws.recv()
                if op == 1 and b'"error"' in data:
                    raise BenchError('terminal on %s: %s' % (node, data.decode(errors='replace')))
                got += data
        except (BenchError, OSError) as e:
            self.term_open.error('%s: %s' % (node, e))
            return
        self.term_open.add(time.monotonic() - t0)
        ws.sock.settimeout(TIMEOUT)
        try:
            self.type_loop(i, ws)
        finally:
            ws.close()

    def type_loop(self, i, ws):
        time.sleep(random.random())          # spread the terminals over the second
        seq = 0
        while not self.stop.is_set():
            seq += 1
            want = ('PI%d_%d\r' % (i, seq)).encode()
            tick = time.monotonic()
            try:
                ws.send(2, ('echo PI""%d_%d\r' % (i, seq)).encode())
                buf = b''
                while want not in buf:
                    if time.monotonic() - tick > TIMEOUT:
                        raise BenchError('no answer to echo in %.0f s' % TIMEOUT)
                    op, data = ws.recv()
                    buf = buf[-64:] + data
                self.term.add(time.monotonic() - tick)
            except (BenchError, OSError) as e:
                self.term.error(e)
                return
            self.stop.wait(max(0.0, 1.0 - (time.monotonic() - tick)))

    def browser(self, i):
        c = Client(self.a.url)
        try:
            cookie = c.login(self.a.user, self.a.password)
            c.get_json('/api/v1/me')
            t0 = time.monotonic()
            c.get_json('/api/v1/lab')        # the page's first load counts with the later ones
            self.blab.add(time.monotonic() - t0)
            ws = WebSocket(self.a.url, '/api/v1/events', cookie)
        except (BenchError, OSError, ValueError, http.client.HTTPException) as e:
            self.events.error('browser %d: %s' % (i, e))
            return
        self.spawn(self.events_reader, ws)
        rnd = random.Random(i)
        next_lab = time.monotonic() + rnd.uniform(0, 5)
        next_lg = time.monotonic() + rnd.uniform(0, 2 * self.a.lg_every)
        while not self.stop.is_set():
            now = time.monotonic()
            if now >= next_lab:
                self.blab.timed(ok_get(c, '/api/v1/lab'))
                next_lab += 5
            if now >= next_lg and self.routers and self.addrs:
                q = urllib.parse.quote(rnd.choice(self.addrs), safe='')
                self.blg.timed(ok_get(c, '/api/v1/lg/%s?q=%s' % (urllib.parse.quote(rnd.choice(self.routers)), q)))
                next_lg = time.monotonic() + rnd.uniform(0, 2 * self.a.lg_every)
            self.stop.wait(max(0.0, min(next_lab, next_lg) - time.monotonic()))
        ws.close()

    def events_reader(self, ws):
        """Counts the state messages; a browser that never got one is an error."""
        ws.sock.settimeout(0.5)
        n = 0
        while not self.stop.is_set():
            try:
                op, data = ws.recv()
                if op == 1 and json.loads(data).get('type') == 'state':
                    n += 1
                    self.events.add(0.0)
            except socket.timeout:
                pass                 # a partial frame stays in ws.buf
            except (BenchError, OSError, ValueError) as e:
                if not self.stop.is_set():
                    self.events.error(e)
                return
        if n == 0:
            self.events.error('no state message on the events socket')


# ---------------------------------------------------------------- memory

def proc_status(pid):
    out = {}
    try:
        with open('/proc/%d/status' % pid) as fh:
            for line in fh:
                k, _, v = line.partition(':')
                if k in ('VmRSS', 'VmHWM', 'Threads'):
                    out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


def mib(kb):
    return '%.1f MiB' % (kb / 1024.0)


# ---------------------------------------------------------------- the run

def start_mock(a):
    p = subprocess.Popen([sys.executable, MOCK, '--listen', '127.0.0.1:0', '--no-xterm'],
                         stdout=subprocess.PIPE, text=True)
    url = pw = None
    for line in p.stdout:
        if line.startswith('listening:'):
            url = line.split(':', 1)[1].strip().rstrip('/')
        elif line.startswith('password:'):
            pw = line.split(':', 1)[1].strip()
        if url and pw:
            break
    if not (url and pw):
        p.kill()
        raise BenchError('the mock did not start')
    a.url, a.user, a.password, a.pid = url, 'trainer', pw, p.pid
    return p


def run(a):
    main_client = Client(a.url)
    cookie = main_client.login(a.user, a.password)
    lab = main_client.get_json('/api/v1/lab')
    load = Load(a, lab)
    mem0 = proc_status(a.pid) if a.pid else {}
    ctx = multiprocessing.get_context('fork')
    rx, tx = ctx.Pipe(duplex=False)
    pr = ctx.Process(target=probe, args=(a.url, cookie, [('idle', a.idle_seconds), ('load', a.seconds)], tx))
    # the probe's idle phase runs alone; the load starts as it ends
    pr.start()
    time.sleep(a.idle_seconds)
    t_start = time.monotonic()
    for i in range(a.terminals):
        load.spawn(load.terminal, i, cookie)
    for i in range(a.browsers):
        load.spawn(load.browser, i)
    peak = {}
    while time.monotonic() - t_start < a.seconds:
        time.sleep(0.5)
        if a.pid:
            m = proc_status(a.pid)
            if m.get('VmRSS', 0) > peak.get('VmRSS', 0):
                peak = m
    probed = rx.recv() if rx.poll(a.seconds + 3 * TIMEOUT) else None
    load.stop.set()
    for t in list(load.threads):
        t.join(2 * TIMEOUT)
    pr.join(TIMEOUT)
    mem1 = proc_status(a.pid) if a.pid else {}
    return report(a, lab, load, probed, mem0, peak, mem1)


def report(a, lab, load, probed, mem0, peak, mem1):
    def stats_of(phase, what):
        st = Stats()
        if probed:
            st.samples, st.errors, st.first_error = probed[phase][what]
        else:
            st.error('the probe process sent nothing')
        return st

    nodes = len(set(load.term_nodes[i % len(load.term_nodes)] for i in range(a.terminals))) if a.terminals else 0
    print('%s: lab %s (%d pods, %d nodes); %d terminals on %d nodes, %d browsers, %d s (after %d s idle)'
          % ('web_bench (mock)' if a.mock else 'web_bench', lab.get('name'), len(lab['pods']), len(lab['nodes']),
             a.terminals, nodes, a.browsers, a.seconds, a.idle_seconds))
    print()
    print('| what | samples | median ms | p99 ms | errors |')
    print('|---|---|---|---|---|')
    rows = [('GET /api/v1/lab, idle', stats_of('idle', 'lab')),
            ('GET /api/v1/me, idle', stats_of('idle', 'me')),
            ('GET /api/v1/lab, under load', stats_of('load', 'lab')),
            ('GET /api/v1/me, under load', stats_of('load', 'me')),
            ('terminal open (to first output)', load.term_open),
            ('terminal round trip (`echo`, every 1 s)', load.term),
            ("browsers' GET /api/v1/lab (at login, then every 5 s)", load.blab),
            ("browsers' GET /api/v1/lg/NODE?q=", load.blg)]
    for what, st in rows:
        print(row(what, st))
    ev = load.events
    print('| events: state messages received | %d | | | %d |' % (len(ev.samples), ev.errors))
    if a.pid:
        print('| server memory (pid %d) | VmRSS %s before, %s at the peak, %s after; VmHWM %s; %s threads | | | |'
              % (a.pid, mib(mem0.get('VmRSS', 0)), mib(peak.get('VmRSS', 0)), mib(mem1.get('VmRSS', 0)),
                 mib(mem1.get('VmHWM', 0)), mem1.get('Threads', '?')))
    # which kinds must have samples: those the run had reason to produce
    need = {'GET /api/v1/lab, idle', 'GET /api/v1/me, idle', 'GET /api/v1/lab, under load',
            'GET /api/v1/me, under load'}
    if a.terminals:
        need |= {'terminal open (to first output)', 'terminal round trip (`echo`, every 1 s)'}
    if a.browsers:
        need |= {"browsers' GET /api/v1/lab (at login, then every 5 s)", 'events'}
    failed = False
    for what, st in rows + [('events', ev)]:
        if st.errors or (what in need and not st.samples):
            failed = True
            sys.stderr.write('web_bench: %s: %d errors%s\n' % (what, st.errors,
                             ', first: %s' % st.first_error if st.first_error else ', no samples'))
    return 1 if failed else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--url', help='where serve listens, e.g. http://127.0.0.1:8080')
    ap.add_argument('--user', default='trainer')
    ap.add_argument('--password', default=os.environ.get('POCKETINTERNET_WEB_PASSWORD'),
                    help='(default: $POCKETINTERNET_WEB_PASSWORD)')
    ap.add_argument('--terminals', type=int, default=30)
    ap.add_argument('--browsers', type=int, default=30)
    ap.add_argument('--seconds', type=int, help='length of the load (default 60; 5 with --mock)')
    ap.add_argument('--idle-seconds', type=int, help='probe alone before the load (default 10; 2 with --mock)')
    ap.add_argument('--lg-every', type=float, default=15.0,
                    help="each browser's looking glass request comes every 0 to 2x this many seconds")
    ap.add_argument('--nodes', type=lambda s: [x for x in s.split(',') if x],
                    help='terminal nodes, comma-separated (default: every running node of GET /api/v1/lab)')
    ap.add_argument('--pid', type=int, help="serve's process id, for its memory (/proc/PID/status)")
    ap.add_argument('--mock', action='store_true', help='self-check against tests/browser/mock_api.py')
    a = ap.parse_args()
    if a.seconds is None:
        a.seconds = 5 if a.mock else 60
    if a.idle_seconds is None:
        a.idle_seconds = 2 if a.mock else 10
    if min(a.terminals, a.browsers) < 0 or a.seconds < 1 or a.idle_seconds < 1:
        ap.error('counts must be >= 0 and times >= 1 s')
    if not a.mock and not (a.url and a.password):
        ap.error('give --url and --password (or $POCKETINTERNET_WEB_PASSWORD), or --mock')
    a.url = a.url.rstrip('/') if a.url else None
    mock = None
    try:
        if a.mock:
            mock = start_mock(a)
        return run(a)
    except (BenchError, OSError, ValueError, http.client.HTTPException) as e:
        sys.stderr.write('web_bench: %s\n' % e)
        return 1
    finally:
        if mock:
            mock.terminate()
            mock.wait(10)


if __name__ == '__main__':
    sys.exit(main())
