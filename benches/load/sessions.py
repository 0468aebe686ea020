#!/usr/bin/env python3
"""Creates N live sessions by copying a signed-in session's row with fresh ids and token
hashes (SHA-256 of the token text, as Portico stores them), in one transaction, and writes
the cookies ("portico_session_<slug>=<token>", one a line) to a file.

usage: sessions.py sqlite PATH SESSION_TOKEN N COOKIES_FILE SLUG
       sessions.py postgres URL SESSION_TOKEN N COOKIES_FILE SLUG   (through psql)
"""
import base64, hashlib, os, secrets, subprocess, sys, uuid

kind, where, token, n, out, slug = sys.argv[1:7]
n = int(n)
h = hashlib.sha256(token.encode()).digest()
tokens = ["pses_" + base64.urlsafe_b64encode(secrets.token_bytes(32)).rstrip(b"=").decode()
          for _ in range(n)]
rows = [(str(uuid.uuid4()), hashlib.sha256(t.encode()).digest()) for t in tokens]
cols = "agency, account, kind, created_at, last_seen_at, idle_expires_at, absolute_expires_at, address, user_agent"
if kind == "sqlite":
    import sqlite3
    db = sqlite3.connect(where, timeout=30)
    with db:
        (count,) = db.execute("SELECT count(*) FROM portico_sessions WHERE hash = ?", (h,)).fetchone()
        assert count == 1, "the signed-in session is not in the database"
        db.executemany(
            f"INSERT INTO portico_sessions (id, hash, {cols}) SELECT ?, ?, {cols} FROM portico_sessions WHERE hash = ?",
            [(i, hh, h) for (i, hh) in rows])
else:
    lines = ["BEGIN;", "CREATE TEMP TABLE new_sessions (id uuid, hash bytea);",
             "COPY new_sessions FROM STDIN;"]
    lines += [f"{i}\t\\\\x{hh.hex()}" for (i, hh) in rows]
    lines += ["\\.",
              f"INSERT INTO portico_sessions (id, hash, {cols}) SELECT n.id, n.hash, {', '.join('s.' + c.strip() for c in cols.split(','))} "
              f"FROM new_sessions n, portico_sessions s WHERE s.hash = '\\x{h.hex()}';",
              "COMMIT;"]
    subprocess.run(["psql", "-q", "-v", "ON_ERROR_STOP=1", where], input="\n".join(lines) + "\n",
                   text=True, check=True)
with open(out, "w") as f:
    for t in tokens:
        f.write(f"portico_session_{slug}={t}\n")
print(f"{n} sessions created")
