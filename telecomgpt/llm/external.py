"""An OpenAI-compatible LLM service the project did not start (`serve --llm-base-url`): a team's vLLM
deployment (`--tp/--dp`, Ray Serve) or a gateway that several assistant replicas share.

`check` fails fast at start with a one-line UserError (unreachable, or no such model); `status` is what
/health reports while serving, in the shape of VLLMSupervisor.status, so /health answers 503 while the
service is down and 200 again once it is back.
"""

from __future__ import annotations

import time

import httpx

from telecomgpt.errors import UserError

STATUS_TTL_S = 1.0
"""/health asks the service at most once a second (load balancers probe often; replicas share it)."""
STATUS_TIMEOUT_S = 2.0
"""A probe slower than this counts as down (a load balancer's health check must answer quickly)."""


class ExternalLLM:
    """The endpoint at `base_url` (ending in /v1) serving `model`, with an optional bearer `api_key`."""

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout_s: float = 5.0):
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api_key = api_key
        self.timeout_s = timeout_s
        self._checked_at = 0.0
        self._status: dict = {}

    def _models(self, timeout_s: float | None = None) -> list[str]:
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        reply = httpx.get(f"{self.base_url}/models", headers=headers, timeout=timeout_s or self.timeout_s)
        reply.raise_for_status()
        return [m.get("id") for m in reply.json().get("data", [])]

    def check(self) -> list[str]:
        """The models the service lists; a UserError when it is unreachable or does not serve `model`."""
        try:
            models = self._models()
        except httpx.HTTPStatusError as exc:
            code = exc.response.status_code
            raise UserError(f"LLM endpoint {self.base_url} answered {code} to GET /models",
                            hint="check --llm-base-url (it ends in /v1) and --llm-api-key") from None
        except (httpx.HTTPError, ValueError) as exc:
            raise UserError(f"LLM endpoint {self.base_url} is unreachable ({type(exc).__name__})",
                            hint="start it, or check --llm-base-url") from None
        if self.model not in models:
            raise UserError(f"LLM endpoint {self.base_url} does not serve model {self.model!r} (it serves "
                            f"{', '.join(map(str, models)) or 'nothing'})", hint="set --llm-model") from None
        return models

    def status(self) -> dict:
        """What /health shows: {"state": "ready"|"unreachable"|"no_model", "ready", "url", "model",
        "last_error"}, refreshed at most every STATUS_TTL_S."""
        now = time.monotonic()
        if now - self._checked_at < STATUS_TTL_S and self._status:
            return self._status
        state, problem = "ready", None
        try:
            if self.model not in self._models(STATUS_TIMEOUT_S):
                state, problem = "no_model", f"the endpoint does not list {self.model!r}"
        except (httpx.HTTPError, ValueError) as exc:
            state, problem = "unreachable", f"{type(exc).__name__}: {exc}".splitlines()[0]
        self._status = {"state": state, "ready": state == "ready", "url": self.base_url, "model": self.model,
                        "last_error": problem}
        self._checked_at = now
        return self._status
