"""StackExchange `Posts.xml` dumps → one document per question with its accepted answer."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from xml.etree.ElementTree import ParseError, iterparse

from datatrove.data import Document

from telecomgpt.domain.tgpp import SpecFileError

_TAG = re.compile(r"<[^>]+>")


def _plain(body: str) -> str:
    return html.unescape(_TAG.sub("", body)).strip()


def read_posts(path: str) -> Iterator[Document]:
    questions, answers = {}, {}
    try:
        for _, row in iterparse(path):
            if row.tag != "row":
                continue
            kind, post_id = row.get("PostTypeId"), row.get("Id")
            if kind == "1" and row.get("AcceptedAnswerId"):
                questions[post_id] = (row.get("Title", ""), row.get("Body", ""), row.get("AcceptedAnswerId"),
                                      row.get("Tags", ""))
            elif kind == "2":
                answers[post_id] = row.get("Body", "")
            row.clear()
    except ParseError as exc:
        raise SpecFileError(f"malformed Posts.xml ({exc})") from None
    for post_id in sorted(questions, key=int):
        title, body, answer_id, tags = questions[post_id]
        if answer_id not in answers:
            continue
        text = f"{title}\n\n{_plain(body)}\n\nAnswer:\n{_plain(answers[answer_id])}"
        yield Document(text=text, id=f"stackexchange/{post_id}",
                       metadata={"source": "stackexchange", "path": path, "tags": tags})
