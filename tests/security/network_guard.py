"""Recording every network connection (and name lookup) the process attempts, to prove a check opened none."""
from __future__ import annotations

import contextlib
import socket


@contextlib.contextmanager
def recorded_connections(allowed: set[tuple[str, int]] = frozenset(), refuse: bool = True):
    """Yield the list of ``(host, port)`` attempted outside ``allowed``; those are refused unless ``refuse`` is off."""
    attempts: list[tuple[str, int]] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex
    real_create, real_lookup = socket.create_connection, socket.getaddrinfo

    def check(address) -> None:
        target = (str(address[0]), int(address[1])) if isinstance(address, tuple) else (str(address), 0)
        if target not in allowed:
            attempts.append(target)
            if refuse:
                raise ConnectionRefusedError(f"connection to {target} attempted during a check that must open none")

    def connect(self, address):
        check(address)
        return real_connect(self, address)

    def connect_ex(self, address):
        check(address)
        return real_connect_ex(self, address)

    def create_connection(address, *args, **kwargs):
        check(address)
        return real_create(address, *args, **kwargs)

    def getaddrinfo(host, port, *args, **kwargs):
        check((host, port or 0))
        return real_lookup(host, port, *args, **kwargs)

    socket.socket.connect, socket.socket.connect_ex = connect, connect_ex
    socket.create_connection, socket.getaddrinfo = create_connection, getaddrinfo
    try:
        yield attempts
    finally:
        socket.socket.connect, socket.socket.connect_ex = real_connect, real_connect_ex
        socket.create_connection, socket.getaddrinfo = real_create, real_lookup
