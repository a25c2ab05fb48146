"""`movierec app`: the page and its JSON API on Tornado (the HTTP server the model server uses).

    GET  /                    the page (webapp/static/index.html, its CSS and JS: no build chain, no CDN)
    GET  /api/options         form choices (age groups, occupations, modes) and the data's size
    GET  /api/status          the model server and the versions answering
    GET  /api/users/{id}      a known user's demographics and recent ratings
    GET  /api/movies?q=...    title search (accent- and case-insensitive)
    POST /api/recommend       {"user_id"} or {"profile", "ratings"}, "mode", "include_rated"

Errors are JSON ``{"error", "field"?, "retry"?}`` with 400 / 404 / 503. The model server calls
run on worker threads, so a slow model server never blocks the page's other requests.
"""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import tornado.httpserver
import tornado.netutil
import tornado.web

from webapp.service import AppConfig, AppError, RecommenderService

STATIC = Path(__file__).resolve().parent / "static"
log = logging.getLogger("movierec.app")


class ApiHandler(tornado.web.RequestHandler):
    def initialize(self, service: RecommenderService, pool: ThreadPoolExecutor) -> None:
        self.service, self.pool = service, pool

    def set_default_headers(self) -> None:
        self.set_header("Content-Type", "application/json")
        self.set_header("Cache-Control", "no-store")

    async def answer(self, function, *args: Any) -> None:
        try:
            doc = await asyncio.get_running_loop().run_in_executor(self.pool, function, *args)
            self.finish(json.dumps(doc))
        except AppError as e:
            self.set_status(e.status)
            self.finish(json.dumps(e.as_json()))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.finish(json.dumps({"error": self._reason}))


class Options(ApiHandler):
    async def get(self) -> None:
        await self.answer(self.service.options)


class Status(ApiHandler):
    async def get(self) -> None:
        await self.answer(self.service.status)


class Users(ApiHandler):
    async def get(self, user_id: str) -> None:
        await self.answer(self.service.user, user_id)


class Movies(ApiHandler):
    async def get(self) -> None:
        await self.answer(self.service.search, self.get_query_argument("q", ""))


class Recommend(ApiHandler):
    async def post(self) -> None:
        try:
            body = json.loads(self.request.body or b"{}")
            if not isinstance(body, dict):
                raise ValueError("not an object")
        except (ValueError, RecursionError) as e:
            self.set_status(400)
            self.finish(json.dumps({"error": f"the request body is not a JSON object: {e}"}))
            return
        await self.answer(self.service.recommend, body)


def application(service: RecommenderService) -> tornado.web.Application:
    api = {"service": service, "pool": ThreadPoolExecutor(max_workers=8, thread_name_prefix="app")}
    return tornado.web.Application(
        [
            (r"/api/options", Options, api),
            (r"/api/status", Status, api),
            (r"/api/users/([^/]*)", Users, api),
            (r"/api/movies", Movies, api),
            (r"/api/recommend", Recommend, api),
            (r"/(app\.js|app\.css)", tornado.web.StaticFileHandler, {"path": str(STATIC)}),
            (r"/()", tornado.web.StaticFileHandler, {"path": str(STATIC), "default_filename": "index.html"}),
        ],
        default_handler_class=NotFoundHandler,
    )


class NotFoundHandler(tornado.web.RequestHandler):
    def prepare(self) -> None:
        self.set_status(404)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": f"no such page: {self.request.path}"}))


def serve(config: AppConfig, service: RecommenderService | None = None, ready=None) -> None:
    """Serve until the event loop stops; ``ready(port)`` is called once listening."""
    service = service or RecommenderService(config)
    sockets = tornado.netutil.bind_sockets(config.port, address=config.host)
    port = sockets[0].getsockname()[1]

    async def main() -> None:
        server = tornado.httpserver.HTTPServer(application(service), max_body_size=1 << 20)
        server.add_sockets(sockets)
        if ready:
            ready(port)
        await asyncio.Event().wait()

    asyncio.run(main())
