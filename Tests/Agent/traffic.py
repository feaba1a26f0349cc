"""Traffic for the agent tests: a checksum-verified TCP transfer and a TCP connect probe.

  traffic.py serve ADDR PORT [TIMEOUT]        accept one connection, print "<bytes> <sha256>"
  traffic.py send ADDR PORT SIZE SEED         send SIZE pseudo-random bytes, print "<bytes> <sha256>"
  traffic.py connect ADDR PORT                print "open" or "closed: <reason>" (2 s)
  traffic.py listen ADDR PORT SECONDS         accept and close connections for SECONDS
  traffic.py stream ADDR PORT SECONDS RATE    send numbered UDP datagrams (RATE per second) until SECONDS pass
                                              or SIGTERM, then print how many
  traffic.py sink ADDR PORT SECONDS           receive numbered datagrams until SECONDS pass or SIGTERM, print
                                              "<distinct received> <highest number> <received of the last 500>"
"""
import hashlib, random, signal, socket, sys, time

class Stop(Exception): pass

def on_term(*_): raise Stop()

def serve(addr, port, timeout=60):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(1); s.settimeout(timeout)
    c, _ = s.accept(); c.settimeout(timeout); h = hashlib.sha256(); n = 0
    while True:
        b = c.recv(262144)
        if not b: break
        h.update(b); n += len(b)
    print(n, h.hexdigest(), flush=True)

def send(addr, port, size, seed):
    rng = random.Random(seed); h = hashlib.sha256(); left = size
    c = socket.create_connection((addr, port), timeout=30)
    while left > 0:
        chunk = rng.randbytes(min(left, 1 << 20)); h.update(chunk); c.sendall(chunk); left -= len(chunk)
    c.shutdown(socket.SHUT_WR); c.recv(1); c.close()
    print(size, h.hexdigest(), flush=True)

def connect(addr, port):
    try:
        socket.create_connection((addr, port), timeout=2).close(); print("open")
    except Exception as e:
        print("closed:", type(e).__name__)

def listen(addr, port, seconds):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, port)); s.listen(8); s.settimeout(0.2); end = time.time() + seconds
    while time.time() < end:
        try: s.accept()[0].close()
        except socket.timeout: pass

def stream(addr, port, seconds, rate):
    # Send errors (no SA yet, the policy's queue full) are counted as sent: the test wants every
    # packet the application offered, whatever the datapath made of it.
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
    n = 0; start = time.time(); signal.signal(signal.SIGTERM, on_term)
    try:
        while time.time() - start < seconds:
            try: s.sendto(b"ward-leak-test %08d " % n + b"x" * 64, (addr, port))
            except OSError: pass
            n += 1
            time.sleep(max(0, start + n / rate - time.time()))
    except Stop: pass
    print(n, flush=True)

def sink(addr, port, seconds):
    s = socket.socket(socket.AF_INET6 if ":" in addr else socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port)); s.settimeout(0.2); end = time.time() + seconds
    numbers = set(); signal.signal(signal.SIGTERM, on_term)
    try:
        while time.time() < end:
            try: data = s.recv(2048)
            except socket.timeout: continue
            if data.startswith(b"ward-leak-test "): numbers.add(int(data[15:23]))
    except Stop: pass
    highest = max(numbers, default=-1)
    print(len(numbers), highest, sum(1 for n in numbers if n > highest - 500), flush=True)

cmd = sys.argv[1]
if cmd == "serve": serve(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]) if len(sys.argv) > 4 else 60)
elif cmd == "send": send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
elif cmd == "connect": connect(sys.argv[2], int(sys.argv[3]))
elif cmd == "listen": listen(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
elif cmd == "stream": stream(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]))
elif cmd == "sink": sink(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
