#!/usr/bin/python3
"""N slow clients against HOST:PORT: each connects, sends a request line and then one header byte
every INTERVAL seconds (never finishing the request), for SECONDS. Prints how many connected."""
import socket, sys, time

host, port, count, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
interval = 2.0
clients = []
for _ in range(count):
    try:
        s = socket.create_connection((host, port), timeout=5)
        s.sendall(b"GET /api/monitor HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        s.setblocking(False)
        clients.append(s)
    except OSError:
        pass
print("connected %d" % len(clients), flush=True)
end = time.time() + seconds
while time.time() < end:
    time.sleep(interval)
    alive = []
    for s in clients:
        try:
            s.send(b"a")
            alive.append(s)
        except OSError:
            s.close()
    clients = alive
print("alive %d" % len(clients), flush=True)
for s in clients:
    s.close()
