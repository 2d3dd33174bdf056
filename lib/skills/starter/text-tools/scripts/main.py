"""Text tools starter skill: text statistics, case changes and JSON utilities, JSON in and out."""
import json
import re
import sys

MAX_TEXT = 1_000_000


class ToolError(Exception):
    pass


def stats(text):
    return {
        "characters": len(text),
        "words": len(text.split()),
        "lines": len(text.splitlines()),
        "bytes": len(text.encode("utf-8")),
    }


def load_json(text):
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ToolError(f"Invalid JSON at line {err.lineno}, column {err.colno}: {err.msg}")


def validate(text):
    try:
        json.loads(text)
        return {"valid": True}
    except json.JSONDecodeError as err:
        return {"valid": False, "error": err.msg, "line": err.lineno, "column": err.colno}


PATH_PART = re.compile(r"\.?([^.\[\]]+)|\[(\d+)\]")


def get_path(value, path):
    pos = 0
    while pos < len(path):
        match = PATH_PART.match(path, pos)
        if not match or match.end() == pos:
            raise ToolError(f"Invalid path at character {pos + 1}: {path}")
        key, index = match.group(1), match.group(2)
        if index is not None:
            if not isinstance(value, list) or int(index) >= len(value):
                raise ToolError(f"No element [{index}] at character {pos + 1} of {path}")
            value = value[int(index)]
        else:
            if not isinstance(value, dict) or key not in value:
                raise ToolError(f"No member '{key}' at character {pos + 1} of {path}")
            value = value[key]
        pos = match.end()
    return value


def embedded_json(text):
    """The first JSON object or array inside a sentence, or None."""
    decoder = json.JSONDecoder()
    for start, ch in enumerate(text):
        if ch in "{[":
            try:
                value, _ = decoder.raw_decode(text, start)
                return value
            except json.JSONDecodeError:
                continue
    return None


def run(request):
    if "text" not in request:
        description = request.get("description")
        if not isinstance(description, str):
            raise ToolError("Give 'text' (and 'op'), or a 'description'")
        value = embedded_json(description)
        if value is not None:
            return {"valid": True, "text": json.dumps(value, indent=2, ensure_ascii=False)}
        return stats(description)
    text = request["text"]
    if not isinstance(text, str):
        raise ToolError("'text' must be a string")
    if len(text) > MAX_TEXT:
        raise ToolError(f"'text' is longer than {MAX_TEXT} characters")
    op = request.get("op", "stats")
    if op == "stats":
        return stats(text)
    if op in ("upper", "lower", "title"):
        return {"text": getattr(text, op)()}
    if op == "reverse":
        return {"text": text[::-1]}
    if op == "json_validate":
        return validate(text)
    if op == "json_format":
        return {"text": json.dumps(load_json(text), indent=2, ensure_ascii=False)}
    if op == "json_minify":
        return {"text": json.dumps(load_json(text), separators=(",", ":"), ensure_ascii=False)}
    if op == "json_get":
        path = request.get("path")
        if not isinstance(path, str) or path == "":
            raise ToolError("json_get needs a 'path' such as a.b[0]")
        return {"value": get_path(load_json(text), path)}
    raise ToolError(f"Unknown op '{op}'")


def main():
    raw = sys.stdin.read().strip()
    try:
        request = json.loads(raw) if raw else {}
        if not isinstance(request, dict):
            raise ToolError("Input must be a JSON object")
        print(json.dumps(run(request), ensure_ascii=False))
    except (ToolError, json.JSONDecodeError) as err:
        print(json.dumps({"error": str(err)}, ensure_ascii=False))
        sys.exit(1)


main()
