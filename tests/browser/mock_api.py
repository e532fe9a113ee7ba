#!/usr/bin/env python3
"""A stand-in for `pocketinternet serve` while the page is developed.

It implements the JSON/WebSocket contract of docs/web.md over a static fake
lab generated here (no Docker, no daemons): login and the session cookie,
/api/v1/lab, verify, lg, paths, captures (a real pcapng of fake ICMP
packets), the events WebSocket and a terminal WebSocket that echoes what is
typed and answers a few commands with canned text (`echo` as a shell would).
Only for developing and testing the page: every answer is made up.

Mock-only, outside the contract: POST /mock/link {"name":..,"state":"up"|"down"}
changes a link's state, as `pocketinternet link down|up` does in a real lab;
POST /mock/incident {"kind":..,...} adds an incident, {"clear":true} ends them.

usage: mock_api.py [--listen 127.0.0.1:PORT] [--web DIR] [--pods T,I,B,C] [--no-xterm]
Prints `listening: URL` and `password: PW` on stdout.
"""
import argparse
import base64
import hashlib
import http.server
import json
import os
import secrets
import shlex
import socket
import socketserver
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
HERE = os.path.dirname(os.path.abspath(__file__))
XTERM_DIR = '/usr/share/javascript/xterm'
XTERM_LIB = '/usr/share/nodejs/xterm/lib'


# ---------------------------------------------------------------- fake lab

def make_lab(counts):
    nt, ni, nb, nc = counts
    pods, rels, nodes, links, sessions = [], [], [], [], []
    asn = [64500]

    def pod(name, bp, roles):
        p = {'name': name, 'asn': asn[0], 'blueprint': bp, 'tier': bp, 'nodes': []}
        asn[0] += 1
        k = len(pods)
        for role, nm in roles:
            n = '%s-%s' % (name, nm)
            i = len(nodes) + 1
            nodes.append({'name': n, 'pod': name, 'role': role, 'state': 'running',
                          'addrs': ['10.%d.%d.%d/32' % (k // 200, k % 200, i % 250 + 1),
                                    '2001:db8:%x::%x/128' % (k, i)]})
            p['nodes'].append(n)
        pods.append(p)
        return p

    def link(a, b):
        name = '%s--%s' % (a, b)
        li = len(links)
        links.append({'name': name, 'kind': 'p2p', 'state': 'up', 'impairment': None,
                      'ends': [{'node': a, 'iface': 'eth-' + b.split('-', 1)[0],
                                'addrs': ['172.16.%d.%d/31' % (li // 128, (li % 128) * 2)]},
                               {'node': b, 'iface': 'eth-' + a.split('-', 1)[0],
                                'addrs': ['172.16.%d.%d/31' % (li // 128, (li % 128) * 2 + 1)]}]})
        return name

    def sess(a, b, kind):
        for fam in ('ipv4', 'ipv6'):
            sessions.append({'name': '%s_%s_%s' % (a.replace('-', '_'), b.replace('-', '_'), fam[-1]),
                             'a': a, 'b': b, 'a_pod': a.split('-')[0], 'b_pod': b.split('-')[0],
                             'kind': kind, 'family': fam, 'state': 'established'})

    T = [pod('transit%d' % (i + 1), 'transit', [('border', 'border1'), ('border', 'border2'), ('core', 'core1')])
         for i in range(nt)]
    X = [pod('ixp%d' % (i + 1), 'ixp', [('rs', 'rs1')]) for i in range(ni)]
    B = [pod('broadband%d' % (i + 1), 'broadband', [('border', 'border1'), ('sub', 'sub1'), ('resolver', 'resolver1')])
         for i in range(nb)]
    C = [pod('content%d' % (i + 1), 'content', [('border', 'border1'), ('web', 'web1')]) for i in range(nc)]
    for p in pods:  # inside a pod: every other node hangs off border1
        for n in p['nodes'][1:]:
            if p['tier'] != 'ixp':
                link(p['nodes'][0], n)
    for i, a in enumerate(T):
        for b in T[i + 1:]:
            rels.append({'a': a['name'], 'b': b['name'], 'kind': 'peer'})
            link(a['nodes'][0], b['nodes'][0])
            sess(a['nodes'][0], b['nodes'][0], 'ebgp')
    lans = {}
    for x in X:
        lans[x['name']] = {'name': x['name'] + '-lan', 'kind': 'lan', 'state': 'up', 'impairment': None,
                           'ends': [{'node': x['nodes'][0], 'iface': 'eth-lan', 'addrs': ['185.1.%d.1/24' % len(lans)]}]}
        links.append(lans[x['name']])

    def member(x, p):
        rels.append({'a': x['name'], 'b': p['name'], 'kind': 'ixp-member'})
        lan = lans[x['name']]
        lan['ends'].append({'node': p['nodes'][0], 'iface': 'eth-' + x['name'],
                            'addrs': ['185.1.%d.%d/24' % (X.index(x), len(lan['ends']) + 1)]})
        sess(p['nodes'][0], x['nodes'][0], 'rs')

    for i, p in enumerate(B + C):
        provs = [T[i % nt]] if i == 0 else [T[i % nt], T[(i + 1) % nt]]
        for t in provs:
            rels.append({'a': t['name'], 'b': p['name'], 'kind': 'provider'})
            link(t['nodes'][1 if i % 2 else 0], p['nodes'][0])
            sess(t['nodes'][1 if i % 2 else 0], p['nodes'][0], 'ebgp')
        if i > 0 and X:
            member(X[i % ni], p)
    for t in T[:2]:
        if X:
            member(X[0], t)
    return {'name': 'mock', 'pods': pods, 'relations': rels, 'nodes': nodes, 'links': links,
            'sessions': sessions, 'incidents': []}


class Lab:
    """The fake lab and the state the events socket reports."""

    def __init__(self, counts):
        self.lock = threading.Lock()
        self.data = make_lab(counts)
        self.version = 0
        self.node = {n['name']: n for n in self.data['nodes']}
        self.link = {l['name']: l for l in self.data['links']}

    def set_link(self, name, state):
        with self.lock:
            l = self.link.get(name)
            if not l:
                return False
            l['state'] = state
            ends = {e['node'] for e in l['ends']}
            for s in self.data['sessions']:
                if s['a'] in ends and s['b'] in ends:
                    s['state'] = 'established' if state == 'up' else 'Active'
            self.version += 1
            return True

    def state_msg(self):
        with self.lock:
            d = self.data
            return {'type': 'state', 'nodes': {n['name']: n['state'] for n in d['nodes']},
                    'links': {l['name']: l['state'] for l in d['links']},
                    'sessions': {s['name']: s['state'] for s in d['sessions']},
                    'incidents': d['incidents']}

    def cut_off(self):
        """Pods whose every link to another pod is down."""
        pods = {}
        for l in self.data['links']:
            ps = {e['node'].split('-')[0] for e in l['ends']}
            if len(ps) < 2:
                continue
            for p in ps:
                pods.setdefault(p, []).append(l['state'] == 'up')
        return {p for p, ups in pods.items() if not any(ups)}

    def verify(self):
        with self.lock:
            d = self.data
            srcs = [n for n in d['nodes'] if n['role'] != 'rs']
            cut = self.cut_off()
            fails = [{'from': s['name'], 'to': t['name']} for s in srcs for t in srcs
                     if s is not t and (s['pod'] in cut or t['pod'] in cut)]
            subs = [n for n in d['nodes'] if n['role'] == 'sub']
            webs = [n for n in d['nodes'] if n['role'] == 'web']
            dnsf = [{'node': s['name'], 'asked': 'www.%s.pocket AAAA' % w['pod'], 'got': 'timed out'}
                    for s in subs for w in webs if s['pod'] in cut]
            httpf = [{'node': s['name'], 'asked': 'http://www.%s.pocket/' % w['pod'],
                      'got': 'could not connect'} for s in subs for w in webs if s['pod'] in cut or w['pod'] in cut]
            down = [s['name'] for s in d['sessions'] if s['state'] != 'established']
            n = len(srcs)
            reach = {'sources': n, 'targets': n, 'pairs': n * (n - 1), 'failed': len(fails),
                     'not_joined': 0, 'seconds': 0.4, 'failures': fails,
                     'excluded': [{'node': x['name'], 'why': 'an IXP route server'}
                                  for x in d['nodes'] if x['role'] == 'rs']}
            return {'lab': d['name'], 'passed': not (fails or dnsf or httpf or down),
                    'dns': {'checks': len(subs) * len(webs), 'failed': len(dnsf), 'failures': dnsf},
                    'http': {'checks': len(subs) * len(webs), 'failed': len(httpf), 'failures': httpf},
                    'reach': {'ipv4': reach, 'ipv6': dict(reach, seconds=0.5)},
                    'policy': {'routes_checked': 40 * len(d['pods']), 'not_valley_free': [],
                               'sessions': len(d['sessions']),
                               'established': len(d['sessions']) - len(down), 'sessions_down': down}}


# ---------------------------------------------------------------- pcapng

def pcapng(n):
    def block(t, body):
        body += b'\0' * (-len(body) % 4)
        ln = 12 + len(body)
        return struct.pack('<II', t, ln) + body + struct.pack('<I', ln)
    out = block(0x0A0D0D0A, struct.pack('<IHHq', 0x1A2B3C4D, 1, 0, -1))
    out += block(1, struct.pack('<HHI', 1, 0, 262144))
    for i in range(n):
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 28, i, 0, 64, 1, 0,
                         bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2]))
        icmp = struct.pack('!BBHHH', 8 if i % 2 == 0 else 0, 0, 0, 1, i // 2)
        frame = b'\x02\0\0\0\0\x02' + b'\x02\0\0\0\0\x01' + b'\x08\x00' + ip + icmp
        ts = int(time.time() * 1e6) + i
        out += block(6, struct.pack('<IIIII', 0, ts >> 32, ts & 0xffffffff, len(frame), len(frame)) + frame)
    return out


# ---------------------------------------------------------------- server

class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'mock-pocketinternet'
    disable_nagle_algorithm = True   # else a small body waits out the client's delayed ACK (40 ms)

    def log_message(self, fmt, *args):
        if self.server.verbose:
            sys.stderr.write('mock: ' + fmt % args + '\n')

    # -- plumbing
    def send_json(self, code, obj, headers=()):
        body = b'' if obj is None else json.dumps(obj).encode()
        self.send_response(code)
        if obj is not None:
            self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def send_bytes(self, code, ctype, body, headers=()):
        self.send_response(code)
        self.send_header('Content-Type', ctype)
        self.send_header('Content-Length', str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def session(self):
        for part in self.headers.get('Cookie', '').split(';'):
            k, _, v = part.strip().partition('=')
            if k == 'pi_session' and v in self.server.sessions:
                return v
        return None

    def body(self):
        n = int(self.headers.get('Content-Length') or 0)
        try:
            return json.loads(self.rfile.read(n) or b'null')
        except ValueError:
            return None

    # -- static
    def static(self, path):
        files = {'/': ('index.html', 'text/html'), '/index.html': ('index.html', 'text/html'),
                 '/app.js': ('app.js', 'text/javascript'), '/app.css': ('app.css', 'text/css')}
        if path in files:
            name, ctype = files[path]
            with open(os.path.join(self.server.web, name), 'rb') as fh:
                return self.send_bytes(200, ctype + '; charset=utf-8', fh.read())
        if path == '/xterm.js':
            return self.send_bytes(200, 'text/javascript', self.server.xterm_js)
        if path == '/xterm.css':
            with open(os.path.join(XTERM_DIR, 'xterm.css'), 'rb') as fh:
                return self.send_bytes(200, 'text/css', fh.read())
        return self.send_json(404, {'error': 'no such page'})

    def do_GET(self):
        u = urllib.parse.urlsplit(self.path)
        if not u.path.startswith('/api/'):
            return self.static(u.path)
        if self.headers.get('Upgrade', '').lower() == 'websocket':
            return self.websocket(u)
        if not self.session():
            return self.send_json(401, {'error': 'login required'})
        q = dict(urllib.parse.parse_qsl(u.query))
        lab = self.server.lab
        p = u.path[len('/api/v1/'):]
        if p == 'me':
            return self.send_json(200, {'user': 'trainer', 'role': 'trainer', 'pods': None})
        if p == 'lab':
            with lab.lock:
                return self.send_json(200, lab.data)
        if p == 'verify':
            time.sleep(0.3)
            return self.send_json(200, lab.verify())
        if p.startswith('lg/'):
            return self.lg(p[3:], q.get('q'))
        if p == 'paths':
            return self.paths(q.get('from'), q.get('to'))
        if p.startswith('capture/'):
            return self.capture_get(p.split('/')[1:])
        return self.send_json(404, {'error': 'no such API', 'hint': 'see docs/web.md'})

    def do_POST(self):
        u = urllib.parse.urlsplit(self.path)
        b = self.body()
        if u.path == '/api/v1/login':
            if isinstance(b, dict) and b.get('user') == 'trainer' and b.get('password') == self.server.password:
                tok = secrets.token_hex(32)
                self.server.sessions.add(tok)
                return self.send_json(200, {'user': 'trainer', 'role': 'trainer', 'pods': None},
                                      [('Set-Cookie', 'pi_session=%s; HttpOnly; SameSite=Strict; Path=/' % tok)])
            return self.send_json(401, {'error': 'wrong user or password'})
        sess = self.session()
        if not sess:
            return self.send_json(401, {'error': 'login required'})
        if u.path == '/api/v1/logout':
            self.server.sessions.discard(sess)
            return self.send_json(204, None, [('Set-Cookie', 'pi_session=; Max-Age=0; Path=/')])
        if u.path == '/mock/incident' and isinstance(b, dict):
            with self.server.lab.lock:
                inc = self.server.lab.data['incidents']
                if b.get('clear'):
                    inc.clear()
                else:
                    inc.append(dict(b, id=len(inc) + 1))
                self.server.lab.version += 1
            return self.send_json(200, {'ok': True})
        if u.path == '/mock/link' and isinstance(b, dict):
            ok = self.server.lab.set_link(b.get('name'), b.get('state'))
            return self.send_json(200 if ok else 404, {'ok': ok})
        if u.path == '/api/v1/capture' and isinstance(b, dict):
            if b.get('node') not in self.server.lab.node:
                return self.send_json(404, {'error': 'no node %s' % b.get('node')})
            caps = self.server.captures
            cid = len(caps) + 1
            caps[cid] = {'id': cid, 'node': b['node'], 'iface': b.get('iface'), 'running': True,
                         'packets': 0, 'bytes': 0, 'filter': b.get('filter')}
            return self.send_json(200, {'id': cid})
        parts = u.path.split('/')
        if len(parts) == 6 and parts[3] == 'capture' and parts[5] == 'stop':
            c = self.server.captures.get(int(parts[4]) if parts[4].isdigit() else -1)
            if not c:
                return self.send_json(404, {'error': 'no such capture'})
            c['running'] = False
            return self.send_json(200, c)
        return self.send_json(404, {'error': 'no such API'})

    # -- API pieces
    def capture_get(self, parts):
        c = self.server.captures.get(int(parts[0]) if parts[0].isdigit() else -1)
        if not c:
            return self.send_json(404, {'error': 'no such capture'})
        if c['running']:
            c['packets'] += 2
            c['bytes'] += 196
        if len(parts) == 2 and parts[1] == 'pcapng':
            return self.send_bytes(200, 'application/vnd.tcpdump.pcap-ng', pcapng(max(c['packets'], 2)),
                                   [('Content-Disposition', 'attachment; filename="capture-%d.pcapng"' % c['id'])])
        return self.send_json(200, c)

    def lg(self, node, q):
        lab = self.server.lab
        n = lab.node.get(node)
        if not n:
            return self.send_json(404, {'error': 'no node %s' % node})
        pod = next(p for p in lab.data['pods'] if p['name'] == n['pod'])
        base = {'lab': 'mock', 'node': node, 'pod': n['pod'], 'asn': pod['asn']}
        if not q:
            ss = [s for s in lab.data['sessions'] if node in (s['a'], s['b'])]
            out = []
            for s in ss:
                nb = s['b'] if s['a'] == node else s['a']
                out.append({'name': s['name'], 'neighbor': nb, 'neighbor_pod': nb.split('-')[0],
                            'relationship': s['kind'], 'state': 'Established' if s['state'] == 'established' else 'Active',
                            'info': s['state'], 'established': s['state'] == 'established',
                            'neighbor_asn': 64500, 'neighbor_address': None, 'neighbor_id': None, 'planned': True,
                            'imported': 5, 'exported': 3, 'preferred': 4})
            return self.send_json(200, dict(base, established=sum(o['established'] for o in out), sessions=out))
        routes = []
        for i, via in enumerate([s for s in lab.data['sessions'] if node in (s['a'], s['b'])][:3]):
            nb = via['b'] if via['a'] == node else via['a']
            routes.append({'network': q if '/' in q else q + ('/128' if ':' in q else '/32'), 'best': i == 0,
                           'protocol': via['name'], 'type': 'BGP univ', 'session': via['name'], 'neighbor': nb,
                           'next_hop': '172.16.0.%d' % (i + 1), 'iface': 'eth-' + nb.split('-')[0],
                           'preference': 100, 'bgp': True, 'as_path': [64501 + i, 64510],
                           'as_path_pods': [nb.split('-')[0], None], 'as_path_truncated': False,
                           'origin': 'IGP', 'local_pref': 200 - 50 * i, 'med': None,
                           'learned_from': via['kind'], 'origin_pod': 'content1', 'large_communities': [],
                           'communities': [], 'why': 'best: highest local preference' if i == 0 else 'lower local preference',
                           'criterion': None if i == 0 else 'local_pref'})
        return self.send_json(200, dict(base, query=q, routes=routes))

    def paths(self, a, b):
        lab = self.server.lab
        if a not in lab.node or b not in lab.node:
            return self.send_json(404, {'error': 'give two nodes of the lab'})
        pa, pb = a.split('-')[0], b.split('-')[0]
        hop = lambda n, i: {'ttl': i, 'address': lab.node[n]['addrs'][0].split('/')[0], 'reply': 'time-exceeded',
                            'node': n, 'iface': None, 'pod': n.split('-')[0], 'rtt_ms': [0.4, 0.3, None]}
        fam = {'address': lab.node[b]['addrs'][0].split('/')[0], 'target': b,
               'bgp': {'border': pa + '-border1', 'found': True, 'as_path': [64501, 64502], 'pods': [pa, pb],
                       'differs_from_shortest': None, 'local_pref': 200},
               'traceroute': {'reached': True, 'hops': [hop(a, 1), hop(pa + '-border1', 2), hop(b, 3)],
                              'pods': [pa, pb], 'matches_bgp': True}}
        return self.send_json(200, {
            'lab': 'mock', 'src': a, 'src_pod': pa, 'dst': b, 'dst_pod': pb,
            'router_paths': {'total': 1, 'capped': False, 'paths': [{'hops': 2, 'nodes': [
                {'node': a, 'pod': pa, 'in': None, 'out': 'eth0'}, {'node': pa + '-border1', 'pod': pa, 'in': 'eth1', 'out': 'eth2'},
                {'node': b, 'pod': pb, 'in': 'eth0', 'out': None}]}]},
            'as_paths': {'total': 2, 'allowed': 1, 'capped': False, 'paths': [
                {'pods': [pa, pb], 'asns': [64501, 64502], 'allowed': True, 'shortest_allowed': True},
                {'pods': [pa, 'transit1', pb], 'asns': [64501, 64500, 64502], 'allowed': False, 'shortest_allowed': False}]},
            'ipv4': fam, 'ipv6': dict(fam, address=lab.node[b]['addrs'][1].split('/')[0])})

    # -- WebSocket
    def websocket(self, u):
        own = 'http://' + self.headers.get('Host', '')
        if not self.session() or self.headers.get('Origin') != own:
            return self.send_json(403, {'error': 'forbidden: session and same Origin required'})
        key = self.headers.get('Sec-WebSocket-Key', '')
        acc = base64.b64encode(hashlib.sha1((key + WS_GUID).encode()).digest()).decode()
        self.send_response(101)
        self.send_header('Upgrade', 'websocket')
        self.send_header('Connection', 'Upgrade')
        self.send_header('Sec-WebSocket-Accept', acc)
        self.end_headers()
        self.wfile.flush()
        self.close_connection = True
        ws = WS(self.connection)
        try:
            if u.path == '/api/v1/events':
                self.events(ws)
            elif u.path.startswith('/api/v1/term/'):
                self.term(ws, urllib.parse.unquote(u.path[len('/api/v1/term/'):]))
        except (OSError, ValueError):
            pass

    def events(self, ws):
        lab = self.server.lab
        seen = -1
        ws.sock.settimeout(0.3)
        while True:
            if lab.version != seen:
                seen = lab.version
                ws.send(1, json.dumps(lab.state_msg()).encode())
            try:
                op, _ = ws.recv()
                if op == 8:
                    return
            except socket.timeout:
                pass

    def term(self, ws, node):
        if node not in self.server.lab.node:
            ws.send(2, b'no such node\r\n')
            return
        prompt = ('root@%s:~# ' % node).encode()
        ws.send(2, prompt)
        line = b''
        while True:
            op, data = ws.recv()
            if op == 8:
                return
            if op == 1:
                msg = json.loads(data)
                if 'resize' in msg:
                    self.server.resizes.append((node, msg['resize']))
                continue
            for ch in data:
                c = bytes([ch])
                if c == b'\r':
                    ws.send(2, b'\r\n' + canned(line.decode(errors='replace')) + prompt)
                    line = b''
                elif c == b'\x03':
                    ws.send(2, b'^C\r\n' + prompt)
                    line = b''
                elif c == b'\x7f':
                    if line:
                        line = line[:-1]
                        ws.send(2, b'\b \b')
                else:
                    line += c
                    ws.send(2, c)


def canned(cmd):
    cmd = cmd.strip()
    if cmd.startswith('birdc show protocols'):
        return (b'BIRD 2.0.12 ready.\r\nName       Proto      Table      State  Since         Info\r\n'
                b'device1    Device     ---        up     12:00:00.000\r\n'
                b'ebgp_t1_4  BGP        ---        up     12:00:01.000  Established\r\n')
    if cmd.startswith('ping'):
        return b'3 packets transmitted, 3 received, 0% packet loss\r\n'
    if cmd == '':
        return b''
    if cmd == 'echo' or cmd.startswith('echo '):   # as a shell would: quotes removed (bench/web_bench.py)
        try:
            words = shlex.split(cmd)[1:]
        except ValueError:
            return b'mock: echo: unbalanced quotes\r\n'
        return (' '.join(words) + '\r\n').encode()
    return ('mock: %s: canned answers only\r\n' % cmd).encode()


class WS:
    """RFC 6455 frames on a blocking socket (server side)."""

    def __init__(self, sock):
        self.sock = sock
        self.lock = threading.Lock()

    def send(self, op, data):
        n = len(data)
        hdr = bytes([0x80 | op]) + (bytes([n]) if n < 126 else
                                    bytes([126]) + struct.pack('!H', n) if n < 65536 else
                                    bytes([127]) + struct.pack('!Q', n))
        with self.lock:
            self.sock.sendall(hdr + data)

    def exact(self, n):
        b = b''
        while len(b) < n:
            c = self.sock.recv(n - len(b))
            if not c:
                raise OSError('closed')
            b += c
        return b

    def recv(self):
        h = self.exact(2)
        op, n, masked = h[0] & 15, h[1] & 127, h[1] & 128
        if n == 126:
            n = struct.unpack('!H', self.exact(2))[0]
        elif n == 127:
            n = struct.unpack('!Q', self.exact(8))[0]
        mask = self.exact(4) if masked else b'\0\0\0\0'
        data = bytes(b ^ mask[i % 4] for i, b in enumerate(self.exact(n)))
        if op == 9:
            self.send(10, data)
        return op, data


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128   # 30 browsers and 30 terminals connect at once (bench/web_bench.py)


def xterm_script(debian_stub):
    """A browser build of xterm.js: Debian's xterm.js alone cannot run in a page."""
    bundler = os.path.join(HERE, '..', '..', 'web', 'xterm_bundle.py')
    if os.path.isdir(XTERM_LIB) and not debian_stub:
        with tempfile.TemporaryDirectory() as d:
            out = os.path.join(d, 'xterm.js')
            subprocess.run([sys.executable, bundler, XTERM_LIB, os.path.join(XTERM_DIR, 'addons/fit/fit.js'), out],
                           check=True)
            with open(out, 'rb') as fh:
                return fh.read()
    with open(os.path.join(XTERM_DIR, 'xterm.js'), 'rb') as fh:
        return fh.read()


def main():
    ap = argparse.ArgumentParser(description='mock of the pocketinternet web API')
    ap.add_argument('--listen', default='127.0.0.1:0')
    ap.add_argument('--web', default=os.path.join(HERE, '..', '..', 'web'))
    ap.add_argument('--pods', default='3,2,4,3', help='transit,ixp,broadband,content counts')
    ap.add_argument('--password')
    ap.add_argument('--verbose', action='store_true')
    ap.add_argument('--debian-xterm', action='store_true',
                    help="serve Debian's xterm.js as it is (the page then has a plain text terminal)")
    ap.add_argument('--no-xterm', action='store_true',
                    help='serve no xterm.js at all (for API clients such as bench/web_bench.py: starts at once)')
    a = ap.parse_args()
    host, _, port = a.listen.rpartition(':')
    if host not in ('127.0.0.1', 'localhost'):
        sys.exit('mock_api: listens on 127.0.0.1 only')
    srv = Server(('127.0.0.1', int(port)), Handler)
    srv.web = a.web
    srv.verbose = a.verbose
    srv.lab = Lab([int(x) for x in a.pods.split(',')])
    srv.password = a.password or secrets.token_urlsafe(12)
    srv.sessions = set()
    srv.captures = {}
    srv.resizes = []
    srv.xterm_js = b'/* --no-xterm */' if a.no_xterm else xterm_script(a.debian_xterm)
    print('listening: http://127.0.0.1:%d/' % srv.server_address[1], flush=True)
    print('password: %s' % srv.password, flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == '__main__':
    main()
