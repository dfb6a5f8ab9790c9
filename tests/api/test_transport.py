"""AsyncioTransport over real sockets: the demo server in a process of its own, and small
hand-written servers for what a well-behaved server never does (closing at the wrong moment,
odd framings, never answering)."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import re
import socket
import ssl

import httpx
import pytest

from jhe_tui.api import JheClient
from jhe_tui.api.transport import AsyncioTransport
from tests.serving import serve_demo

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
LOOKUP = "/api/v1/patients/global_lookup"


class Server:
    """A loopback server; ``answer(n, head, body)`` gives the bytes for the n-th request on a
    connection and whether to keep the connection open, or None to close it without answering."""

    def __init__(self, answer, tls: ssl.SSLContext | None = None):
        self.answer = answer
        self.tls = tls
        self.opened = 0
        self.open = 0
        self.max_open = 0
        self.answered: list[bytes] = []  # request lines the "application" answered
        self.client_closed = 0  # connections the client closed while the server waited for a request
        self.got_request = asyncio.Event()
        self.sni: list[str | None] = []
        self.alpn: list[str | None] = []
        self._handlers: set[asyncio.Task] = set()

    async def __aenter__(self) -> Server:
        if self.tls is not None:
            self.tls.sni_callback = lambda sock, name, ctx: self.sni.append(name)
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        self.url = f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"
        return self

    async def __aexit__(self, *exc) -> None:
        self._server.close()
        for task in self._handlers:
            task.cancel()
        await asyncio.gather(*self._handlers, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._handlers.add(asyncio.current_task())
        self.opened += 1
        self.open += 1
        self.max_open = max(self.max_open, self.open)
        if tls := writer.get_extra_info("ssl_object"):
            self.alpn.append(tls.selected_alpn_protocol())
        try:
            for n in range(1000):
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    self.client_closed += 1
                    return
                length = re.search(rb"(?i)\r\ncontent-length: *(\d+)", head)
                body = await reader.readexactly(int(length[1])) if length else b""
                self.got_request.set()
                answer = await self.answer(n, head, body)
                if answer is None:
                    return
                self.answered.append(head.split(b"\r\n")[0])
                writer.write(answer[0])
                try:
                    await writer.drain()
                except ConnectionError:
                    self.client_closed += 1
                    return
                if not answer[1]:
                    return
        except asyncio.CancelledError:  # only ever by __aexit__, for the handlers still waiting
            return
        finally:
            self.open -= 1
            writer.close()


def answering(*answers):
    """An ``answer`` giving these (bytes, keep open) in turn for the requests on each connection."""
    async def answer(n, head, body):
        return answers[min(n, len(answers) - 1)]
    return answer


def client(server: Server | None = None, **kwargs) -> httpx.AsyncClient:
    timeout = kwargs.pop("timeout", 5)
    return httpx.AsyncClient(transport=AsyncioTransport(**kwargs), base_url=server.url if server else "",
                             timeout=timeout)


async def until(condition, seconds: float = 2.0) -> None:
    for _ in range(int(seconds / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("condition not met in time")


# --- against the demo server ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    with serve_demo(tmp_path_factory.mktemp("served") / "d") as printed:
        yield printed


@pytest.fixture
async def connections(monkeypatch):
    """The connections the event loop opens from now on, as (host, port)."""
    loop = asyncio.get_running_loop()
    opened: list[tuple[str, int]] = []
    create = loop.create_connection

    async def counting(factory, host, port, **kwargs):
        opened.append((host, port))
        return await create(factory, host, port, **kwargs)

    monkeypatch.setattr(loop, "create_connection", counting)
    return opened


async def test_keep_alive_reuses_one_connection_with_the_demo_server(served, connections):
    async with JheClient(served["JHE_URL"], served["JHE_TOKEN"]) as api:
        assert isinstance(api._session._http._transport, AsyncioTransport)
        for _ in range(20):
            assert await api.request("GET", LOOKUP, params={"email": "nobody@example.org"}, doing="looking") == []
        assert (await api.profile()).email == "manager@demo.jhe.example"
    assert len(connections) == 1


async def test_concurrent_requests_to_the_demo_server_share_the_pool(served, connections):
    async with JheClient(served["JHE_URL"], served["JHE_TOKEN"], max_concurrency=4) as api:
        for _ in range(3):
            await asyncio.gather(*(api.request("GET", LOOKUP, params={"email": f"n{i}@example.org"}, doing="x")
                                   for i in range(8)))
    assert len(connections) <= 4


# --- keep-alive and stale connections ------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_an_idle_connection_the_server_closed_is_not_reused(method):
    async with Server(answering((OK, False))) as server, client(server) as http:
        assert (await http.request(method, "/a", content=b"{}")).text == "ok"
        await until(lambda: server.open == 0)
        await asyncio.sleep(0.05)  # the server's FIN reaches the client
        assert (await http.request(method, "/b", content=b"{}")).text == "ok"
    assert server.opened == 2 and len(server.answered) == 2


@pytest.mark.parametrize("method", ["GET", "POST"])
async def test_a_request_that_meets_a_closing_idle_connection_is_sent_again_once(method):
    """The server drops the kept-alive connection as the second request arrives, without answering
    (its idle timeout): the request never reached the application, so it goes on a fresh one."""

    async def answer(n, head, body):
        return (OK, True) if n == 0 else None

    async with Server(answer) as server, client(server) as http:
        assert (await http.request(method, "/first", content=b"{}")).text == "ok"
        assert (await http.request(method, "/second", content=b"{}")).text == "ok"
    assert server.opened == 2
    assert server.answered == [f"{method} /first HTTP/1.1".encode(), f"{method} /second HTTP/1.1".encode()]


async def test_an_idle_connection_with_unasked_bytes_is_not_reused():
    extra = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nextra"
    async with Server(answering((OK + extra, True))) as server, client(server) as http:
        assert (await http.get("/")).text == "ok"
        await asyncio.sleep(0.05)  # the extra bytes reach the client
        assert (await http.get("/")).text == "ok"
    assert server.opened == 2


async def test_a_fresh_connection_closed_without_an_answer_is_not_retried():
    async with Server(answering(None)) as server, client(server) as http:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get("/")
    assert server.opened == 1


@pytest.mark.parametrize("partial", [b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nhalf", b"HTTP/1.1 20"])
async def test_a_server_closing_mid_response_fails_and_the_connection_is_dropped(partial):
    async with Server(answering((OK, True), (partial, False), (OK, True))) as server, client(server) as http:
        await http.get("/")
        with pytest.raises(httpx.RemoteProtocolError):  # a response byte arrived: never sent again
            await http.get("/")
        assert server.opened == 1 and len(server.answered) == 2
        assert (await http.get("/")).text == "ok"
    assert server.opened == 2


async def test_chunked_response_and_reuse():
    chunked = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    async with Server(answering((chunked, True))) as server, client(server) as http:
        for _ in range(3):
            assert (await http.get("/")).text == "hello world"
    assert server.opened == 1


async def test_close_delimited_response():
    async with Server(answering((b"HTTP/1.1 200 OK\r\n\r\nuntil the end", False))) as server, client(server) as http:
        assert (await http.get("/")).text == "until the end"
        assert (await http.get("/")).text == "until the end"
    assert server.opened == 2


@pytest.mark.parametrize("head", [b"HTTP/1.1 200 OK\r\nConnection: close", b"HTTP/1.0 200 OK"])
async def test_a_connection_the_server_asked_to_close_is_closed(head):
    async with Server(answering((head + b"\r\nContent-Length: 2\r\n\r\nok", True))) as server, \
            client(server) as http:
        assert (await http.get("/")).text == "ok"
        await until(lambda: server.client_closed == 1)
        assert (await http.get("/")).text == "ok"
    assert server.opened == 2


async def test_request_body_and_headers_reach_the_server():
    seen = []

    async def answer(n, head, body):
        seen.append((head, body))
        return OK, True

    async with Server(answer) as server, client(server) as http:
        await http.post("/p?q=1", json={"a": 1}, headers={"X-Thing": "y"})
    head, body = seen[0]
    assert head.startswith(b"POST /p?q=1 HTTP/1.1\r\n") and body == b'{"a":1}'
    assert f"Host: 127.0.0.1:{server.port}".encode() in head and b"X-Thing: y" in head


# --- failures and limits -------------------------------------------------------------------------


async def test_connect_refused_is_a_connect_error():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    async with client() as http:
        with pytest.raises(httpx.ConnectError):
            await http.get(f"http://127.0.0.1:{port}/")


async def test_only_http_and_https():
    with pytest.raises(httpx.UnsupportedProtocol):
        await AsyncioTransport().handle_async_request(httpx.Request("GET", "ftp://127.0.0.1/"))


async def test_connect_timeout(monkeypatch):
    loop = asyncio.get_running_loop()

    async def unanswered(*args, **kwargs):
        await asyncio.Event().wait()

    monkeypatch.setattr(loop, "create_connection", unanswered)
    async with client(timeout=httpx.Timeout(5, connect=0.1)) as http:
        with pytest.raises(httpx.ConnectTimeout):
            await http.get("http://127.0.0.1:9/")


async def never(n, head, body):
    await asyncio.Event().wait()


async def test_read_timeout():
    async with Server(never) as server, client(server, timeout=httpx.Timeout(5, read=0.2)) as http:
        with pytest.raises(httpx.ReadTimeout):
            await http.get("/")


async def test_the_pool_caps_connections_per_origin():
    async def slow(n, head, body):
        await asyncio.sleep(0.1)
        return OK, True

    async with Server(slow) as server, client(server, max_connections_per_origin=2) as http:
        responses = await asyncio.gather(*(http.get("/") for _ in range(5)))
    assert [r.text for r in responses] == ["ok"] * 5
    assert server.opened == 2 and server.max_open == 2


async def test_waiting_for_a_connection_honours_the_pool_timeout():
    async with Server(never) as server, \
            client(server, max_connections_per_origin=1, timeout=httpx.Timeout(5, pool=0.1)) as http:
        first = asyncio.create_task(http.get("/"))
        await server.got_request.wait()
        with pytest.raises(httpx.PoolTimeout):
            await http.get("/")
        first.cancel()


async def test_a_cancelled_request_closes_its_connection():
    async def answer(n, head, body):
        if server.opened == 1:  # answers late, to a client that has gone
            await asyncio.sleep(0.3)
        return OK, True

    async with Server(answer) as server, client(server) as http:
        request = asyncio.create_task(http.get("/"))
        await server.got_request.wait()
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
        await until(lambda: server.open == 0)
        assert (await http.get("/")).text == "ok"
    assert server.opened == 2


async def test_aclose_closes_idle_connections():
    async with Server(answering((OK, True))) as server:
        async with client(server) as http:
            await http.get("/")
            assert server.open == 1
        await until(lambda: server.client_closed == 1)


# --- TLS -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    """A CA and a certificate it signed for localhost and 127.0.0.1: (CA file, server context)."""
    x509 = pytest.importorskip("cryptography.x509")
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def certificate(name, key, issuer, issuer_key, extensions):
        builder = (x509.CertificateBuilder().subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
                   .issuer_name(issuer).public_key(key.public_key()).serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(hours=1))
                   .not_valid_after(now + datetime.timedelta(days=1)))
        for extension, critical in extensions:
            builder = builder.add_extension(extension, critical=critical)
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "jhe-tui test CA")])
    ca = certificate("jhe-tui test CA", ca_key, ca_name, ca_key, [
        (x509.BasicConstraints(ca=True, path_length=None), True),
        (x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                       key_encipherment=False, data_encipherment=False, key_agreement=False,
                       encipher_only=False, decipher_only=False), True),
    ])
    leaf = certificate("localhost", key, ca.subject, ca_key, [
        (x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
         False),
        (x509.BasicConstraints(ca=False, path_length=None), True),
    ])
    folder = tmp_path_factory.mktemp("tls")
    (folder / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (folder / "server.pem").write_bytes(
        leaf.public_bytes(serialization.Encoding.PEM)
        + key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    )
    return str(folder / "ca.pem"), str(folder / "server.pem")


def server_tls(certificates) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certificates[1])
    context.set_alpn_protocols(["http/1.1"])
    return context


async def test_tls_without_verification(certificates):
    async with Server(answering((OK, True)), tls=server_tls(certificates)) as server, \
            client(server, verify=False) as http:
        assert (await http.get("/")).text == "ok"
        assert (await http.get("/")).text == "ok"
    assert server.opened == 1 and server.alpn == ["http/1.1"]


@pytest.mark.parametrize("as_context", [False, True], ids=["ca-path", "ssl-context"])
async def test_tls_verified_against_a_ca_bundle_with_sni(certificates, as_context):
    ca = certificates[0]
    verify = ssl.create_default_context(cafile=ca) if as_context else ca
    async with Server(answering((OK, True)), tls=server_tls(certificates)) as server, client(verify=verify) as http:
        assert (await http.get(f"https://localhost:{server.port}/")).text == "ok"
    assert server.sni == ["localhost"]


async def test_an_unverifiable_certificate_is_a_connect_error(certificates):
    async with Server(answering((OK, True)), tls=server_tls(certificates)) as server, client(server) as http:
        with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
            await http.get("/")



async def test_the_ca_bundle_is_read_at_the_first_https_connection(tmp_path, certificates):
    """Plain http never loads CA roots (start-up time); a CA file that cannot be read fails the
    https connection that needs it, as a connect error naming the problem."""
    missing = str(tmp_path / "missing-ca.pem")
    async with Server(answering((OK, True))) as plain, client(plain, verify=missing) as http:
        assert (await http.get("/")).text == "ok"
    async with Server(answering((OK, True)), tls=server_tls(certificates)) as server, \
            client(server, verify=missing) as http:
        with pytest.raises(httpx.ConnectError, match="No such file"):
            await http.get("/")
    assert server.answered == []

# --- proxies -------------------------------------------------------------------------------------


async def test_env_proxies_still_apply_and_no_proxy_hosts_go_direct(monkeypatch):
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    json_ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n[]"
    async with Server(answering((json_ok, True))) as proxy, Server(answering((json_ok, True))) as direct:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        monkeypatch.setenv("NO_PROXY", "localhost")
        async with JheClient("http://jhe.example.org", "t") as api:
            assert await api.request("GET", "/api/v1/x", doing="asking") == []
        async with JheClient(f"http://localhost:{direct.port}", "t") as api:
            assert await api.request("GET", "/api/v1/y", doing="asking") == []
    assert proxy.answered == [b"GET http://jhe.example.org/api/v1/x HTTP/1.1"]
    assert direct.answered == [b"GET /api/v1/y HTTP/1.1"]


async def test_answers_without_a_body_keep_the_connection():
    """204 and 304 have no body whatever their headers say, nor has the answer to HEAD: the next
    request goes on the same connection and reads its own answer."""
    async def answer(n, head, body):
        if n == 0:
            return b"HTTP/1.1 204 No Content\r\n\r\n", True
        if n == 1:
            return b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n", True
        if head.startswith(b"HEAD"):
            return b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n", True
        return OK, True

    async with Server(answer) as server, client(server) as http:
        assert (await http.delete("/a")).status_code == 204
        assert (await http.get("/b")).status_code == 304
        head = await http.head("/c")
        assert head.status_code == 200 and head.content == b"" and head.headers["content-length"] == "1234"
        assert (await http.get("/d")).content == b"ok"
        assert server.opened == 1
