"""Traffic for the agent tests: a checksum-verified TCP transfer and a TCP connect probe.

  traffic.py serve ADDR PORT [TIMEOUT]        accept one connection, print "<bytes> <sha256>"
  traffic.py send ADDR PORT SIZE SEED         send SIZE pseudo-random bytes, print "<bytes> <sha256>"
  traffic.py connect ADDR PORT                print "open" or "closed: <reason>" (2 s)
  traffic.py listen ADDR PORT SECONDS         accept and close connections for SECONDS
"""
import hashlib, random, socket, sys, time

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

cmd = sys.argv[1]
if cmd == "serve": serve(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]) if len(sys.argv) > 4 else 60)
elif cmd == "send": send(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5])
elif cmd == "connect": connect(sys.argv[2], int(sys.argv[3]))
elif cmd == "listen": listen(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
