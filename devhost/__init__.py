"""The local Functions host: serves the app's HTTP functions and runs its Durable orchestrations in-process.

`python -m devhost.serve` starts Azurite and the host on http://127.0.0.1:7071; `python -m devhost.demo` runs the
quickstart against it through the official SDK.
"""
