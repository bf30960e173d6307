#!/usr/bin/env python3
"""Generates the Swift wire mirrors (`ApusV1.*`) and their protobuf-c conversions from the .proto descriptors.

    scripts/gen-swift-wire.py DESCRIPTOR_SET OUT_DIR

DESCRIPTOR_SET is what `protoc-c --descriptor_set_out=FILE --include_source_info` writes for Protos/apus/v1/*.proto
(a FileDescriptorSet; read with the small protobuf decoder below, so no Python package is needed). OUT_DIR gets
one `ApusV1+<Proto>.swift` per .proto with a mirror in it. scripts/gen-proto.sh runs this; do not edit its output.

For every message it writes a `Sendable, Equatable` struct in `extension ApusV1` (properties in field order,
camelCase, a memberwise init with proto3 defaults) and a `CMessageConvertible` extension (`fill` Swift -> C,
`init(c:)` C -> Swift, validating UTF-8 and NULL arrays through CDecode). For every enum a `WireEnum` with an
`unrecognized(Int32)` case. The schema conventions it follows without being told:

  - `bool has_x` beside a field `x` is the presence of `x` (protoc-c 1.4 has no proto3 `optional`): one Swift
    property `x: T?`. For a repeated `x` a non-empty list also counts as present.
  - a singular message field is optional (`T?`, nil when absent); a oneof is one optional enum property.
  - an int32 field named `token_id`, `token_ids`, `*_token_id` or `*_token_ids` is `TokenID`.
  - property names are lowerCamel with Swift's acronym casing (ACRONYMS: `req_id` -> `reqID`).

Everything else a generator cannot know is in the override tables below; each entry says why. An override that
names a message, field or oneof the schema does not have is an error, so the tables cannot go stale.
"""

import re
import sys
import textwrap
from pathlib import Path

PACKAGE = "apus.v1"

# ---------------------------------------------------------------------------------------------------------------
# Overrides: what the .proto cannot say.
# ---------------------------------------------------------------------------------------------------------------

# The frame codec (Sources/Wire/Frame) converts these by hand, straight from and into its own `Frame` type and
# `Wire.StatusCode`: no ApusV1 mirror.
SKIP = {"Frame", "MetadataEntry", "FrameKind", "StatusCode"}

# Messages whose Swift side is the ServingCore type itself (the engine and the runner use them unconverted): only
# the conversion is generated. `construct`: "memberwise" decodes through `init(label: …)`, "assign" through
# `init()` and then one assignment per field (the type keeps its own defaults for anything the wire lacks).
# `default`: a singular field of this type is non-optional with this default, and an absent one decodes to it
# (vLLM's sampling defaults, not proto zeros).
DOMAIN_MESSAGES = {
    "SamplingParams": {"swift": "SamplingParams", "construct": "assign", "default": "SamplingParams()"},
    "PositionLogprobs": {"swift": "PositionLogprobs", "construct": "memberwise"},
    "StructuredOutputsParams": {"swift": "StructuredOutputsParams", "construct": "assign"},
}

# Enums whose Swift side is a ServingCore type, converted by a hand-written codec (Sources/Wire/Messages/
# ServingCore+Wire.swift): `codec.cValue(_:)` Swift -> C, `codec.value(_:)` C -> Swift (with "throws": `try
# codec.value(_:_:)`, given the field's name for the error).
# FinishReason: NONE is nil (still running), and a reason this build does not know still means finished (.error).
DOMAIN_ENUMS = {
    "FinishReason": {"swift": "FinishReason?", "default": "nil", "codec": "FinishReasonWire"},
    # NONE (or a kind this build does not know) decodes as an error: a constraint must never be dropped silently.
    "StructuredOutputKind": {
        "swift": "StructuredOutputsParams.Kind", "default": ".jsonObject", "codec": "StructuredOutputKindWire",
        "throws": True,
    },
}

# Messages that are only a list of their one repeated field: a repeated field of them is `[[Element]]` in Swift
# (`bad_words`, `sampled_token_ids`, the logprobs of each request), converted without a Swift struct per list
# by the generated `cLists(_:in:)` / `lists(_:_:_:)`.
LIST_WRAPPERS = {"TokenIDList", "RequestLogprobs"}

# Mirrors that are Hashable as well (the API they had before they were generated).
HASHABLE = {"TokenBias", "TokenIDList", "Logprob"}

# Per field ("Message.field"):
#   swift_type "Int": an integer field the domain type holds as Int (clamped into the field when encoding).
#   swift_type + encode + decode: the field's plain Swift value (what would be generated) passes through these
#     hand-written functions (ServingCore+Wire.swift) on the way to and from the domain type; an empty value
#     leaves the field unset without calling `encode` (the common case on the hot path).
#   packed: a bytes field carrying a little-endian array of this scalar type (one memcpy each way).
#   omit: not carried in Swift; encoded as the proto default, and a string is still checked for UTF-8 on decode.
FIELDS = {
    "SamplingParams.n": {"swift_type": "Int"},
    "SamplingParams.top_k": {"swift_type": "Int"},
    "SamplingParams.max_tokens": {"swift_type": "Int"},
    "SamplingParams.min_tokens": {"swift_type": "Int"},
    "SamplingParams.logprobs": {"swift_type": "Int"},
    "SamplingParams.prompt_logprobs": {"swift_type": "Int"},
    # A dictionary in ServingCore, sent sorted by token id so equal params encode to equal bytes.
    "SamplingParams.logit_bias": {
        "swift_type": "[TokenID: Float]",
        "encode": "ApusV1.TokenBias.entries",
        "decode": "ApusV1.TokenBias.dictionary",
    },
    "PositionLogprobs.sampled_rank": {"swift_type": "Int"},
    # Hidden states: f32 rows × hidden_size.
    "IntermediateTensors.values": {"packed": "Float"},
    # Allowed-token bits, one row of ceil(vocab / 32) words per structured request.
    "SchedulerOutput.grammar_bitmask": {"packed": "UInt32"},
}

# Per oneof ("Message.oneof"): the Swift enum it maps to and the case of each field (default: a nested enum named
# after the oneof, one case per field).
ONEOFS = {
    "GenerateOutput.stop_reason": {
        "swift_type": "StopReason",
        "cases": {"stop_token_id": "tokenID", "stop_string": "string"},
    },
}

# Words that keep Swift's acronym casing inside a camelCase name (a name's first word stays lowercase).
ACRONYMS = {"id": "ID", "ids": "IDs", "us": "US", "kv": "KV", "gpu": "GPU", "eos": "EOS", "bos": "BOS"}

SWIFT_KEYWORDS = {
    "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
    "internal", "let", "open", "operator", "private", "protocol", "public", "rethrows", "static", "struct",
    "subscript", "typealias", "var", "break", "case", "continue", "default", "defer", "do", "else", "fallthrough",
    "for", "guard", "if", "in", "repeat", "return", "switch", "where", "while", "as", "catch", "false", "is",
    "nil", "self", "Self", "super", "throw", "throws", "true", "try", "Type", "Any", "some", "any",
}

LINE_LIMIT = 120

# ---------------------------------------------------------------------------------------------------------------
# A protobuf decoder for the few descriptor.proto fields used here.
# ---------------------------------------------------------------------------------------------------------------


def read_varint(data, i):
    shift = value = 0
    while True:
        if i >= len(data):
            raise ValueError("truncated varint")
        b = data[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7
        if shift > 63:
            raise ValueError("varint too long")


def parse(data):
    """One message as {field number: [values]}: ints for varints, bytes for length-delimited fields."""
    fields = {}
    i = 0
    while i < len(data):
        key, i = read_varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = read_varint(data, i)
        elif wire == 2:
            n, i = read_varint(data, i)
            value = bytes(data[i : i + n])
            if len(value) != n:
                raise ValueError("truncated field")
            i += n
        elif wire == 1:
            value, i = data[i : i + 8], i + 8
        elif wire == 5:
            value, i = data[i : i + 4], i + 4
        else:
            raise ValueError(f"unsupported wire type {wire}")
        fields.setdefault(number, []).append(value)
    return fields


def one(fields, number, default=None):
    values = fields.get(number)
    return values[-1] if values else default


def text(fields, number):
    return one(fields, number, b"").decode("utf-8")


def int32(value):
    return value - (1 << 64) if value >= 1 << 63 else value


def packed_ints(fields, number):
    out = []
    for v in fields.get(number, []):
        if isinstance(v, int):
            out.append(v)
        else:
            i = 0
            while i < len(v):
                x, i = read_varint(v, i)
                out.append(x)
    return out


# FieldDescriptorProto.Type
DOUBLE, FLOAT, INT64, UINT64, INT32, FIXED64, FIXED32, BOOL, STRING, GROUP, MESSAGE, BYTES, UINT32, ENUM = range(1, 15)
SFIXED32, SFIXED64, SINT32, SINT64 = range(15, 19)
REPEATED = 3

SCALARS = {
    DOUBLE: "Double", FLOAT: "Float", INT64: "Int64", UINT64: "UInt64", INT32: "Int32", FIXED64: "UInt64",
    FIXED32: "UInt32", UINT32: "UInt32", SFIXED32: "Int32", SFIXED64: "Int64", SINT32: "Int32", SINT64: "Int64",
}
CLAMP = {"UInt32": "cUInt32", "Int32": "cInt32"}


class Comments:
    """SourceCodeInfo: leading (else trailing) comments by descriptor path."""

    def __init__(self, file_fields):
        self.by_path = {}
        info = one(file_fields, 9)
        if info is None:
            return
        for loc in parse(info).get(1, []):
            f = parse(loc)
            comment = text(f, 3) or text(f, 4)
            if comment.strip():
                self.by_path[tuple(packed_ints(f, 1))] = comment

    def get(self, *path):
        comment = self.by_path.get(tuple(path), "")
        lines = [line[1:] if line.startswith(" ") else line for line in comment.rstrip().split("\n")]
        while lines and not lines[0].strip():
            lines.pop(0)
        return [line.rstrip() for line in lines]


class Field:
    def __init__(self, raw, message):
        f = parse(raw)
        self.message = message
        self.name = text(f, 1)
        self.number = one(f, 3)
        self.repeated = one(f, 4) == REPEATED
        self.type = one(f, 5)
        self.type_name = text(f, 6).lstrip(".")
        self.oneof = one(f, 9)
        if one(f, 17):
            fail(f"{message.name}.{self.name}: proto3 `optional` (protoc-c 1.4 has none; use a `bool has_x` field)")
        if self.type == GROUP:
            fail(f"{message.name}.{self.name}: groups are not supported")
        self.doc = []

    @property
    def key(self):
        return f"{self.message.name}.{self.name}"

    @property
    def short_type(self):
        if not self.type_name.startswith(PACKAGE + "."):
            fail(f"{self.key}: type {self.type_name} is outside {PACKAGE}")
        short = self.type_name[len(PACKAGE) + 1 :]
        if "." in short:
            fail(f"{self.key}: nested types are not supported")
        return short


class Message:
    def __init__(self, raw, index, comments):
        f = parse(raw)
        self.name = text(f, 1)
        if f.get(3) or f.get(4):
            fail(f"{self.name}: nested messages and enums are not supported")
        self.fields = [Field(r, self) for r in f.get(2, [])]
        for j, field in enumerate(self.fields):
            field.doc = comments.get(4, index, 2, j)
        self.oneofs = [text(parse(r), 1) for r in f.get(8, [])]
        self.oneof_docs = [comments.get(4, index, 8, j) for j in range(len(self.oneofs))]
        self.doc = comments.get(4, index)


class Enum:
    def __init__(self, raw, index, comments):
        f = parse(raw)
        self.name = text(f, 1)
        self.values = []
        for j, r in enumerate(f.get(2, [])):
            v = parse(r)
            self.values.append((text(v, 1), int32(one(v, 2, 0)), comments.get(5, index, 2, j)))
        self.doc = comments.get(5, index)


class ProtoFile:
    def __init__(self, raw):
        f = parse(raw)
        self.name = text(f, 1)
        self.package = text(f, 2)
        comments = Comments(f)
        self.messages = [Message(r, i, comments) for i, r in enumerate(f.get(4, []))]
        self.enums = [Enum(r, i, comments) for i, r in enumerate(f.get(5, []))]


def fail(message):
    sys.exit(f"gen-swift-wire: {message}")


# ---------------------------------------------------------------------------------------------------------------
# Names.
# ---------------------------------------------------------------------------------------------------------------


def camel(name, upper_first=False):
    words = [w for w in name.split("_") if w]
    out = []
    for i, w in enumerate(words):
        if i == 0 and not upper_first:
            out.append(w.lower())
        else:
            out.append(ACRONYMS.get(w.lower(), w[:1].upper() + w[1:].lower()))
    return "".join(out)


def swift_ident(name):
    return f"`{name}`" if name in SWIFT_KEYWORDS else name


def c_camel_to_lower(name):
    """protoc-c's CamelToLower: `KVCacheSpec` -> `kvcache_spec`, `TokenIDList` -> `token_idlist`."""
    out, was_upper = "", True
    for ch in name:
        is_upper = ch.isascii() and ch.isupper()
        if is_upper:
            out += ("" if was_upper else "_") + ch.lower()
        else:
            out += ch
        was_upper = is_upper
    return out


def c_to_camel(name):
    """protoc-c's ToCamel: upper-cases the first letter and each letter after `_`, dropping the `_`."""
    out, upper = "", True
    for ch in name:
        if ch == "_":
            upper = True
        else:
            out += ch.upper() if upper else ch
            upper = False
    return out


def c_type(message_name):
    """The C struct: `Apus__V1__KVCacheSpec`."""
    return "__".join(c_to_camel(p) for p in PACKAGE.split(".") + [message_name])


def c_lower(message_name):
    """The C function prefix: `apus__v1__kvcache_spec`."""
    return "__".join(c_camel_to_lower(p) for p in PACKAGE.split(".") + [message_name])


C_KEYWORDS = {
    "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool", "break", "case", "catch", "char", "class", "compl",
    "const", "const_cast", "continue", "default", "delete", "do", "double", "dynamic_cast", "else", "enum",
    "explicit", "extern", "false", "float", "for", "friend", "goto", "if", "inline", "int", "long", "mutable",
    "namespace", "new", "not", "not_eq", "operator", "or", "or_eq", "private", "protected", "public", "register",
    "reinterpret_cast", "return", "short", "signed", "sizeof", "static", "static_cast", "struct", "switch",
    "template", "this", "throw", "true", "try", "typedef", "typeid", "typename", "union", "unsigned", "using",
    "virtual", "void", "volatile", "wchar_t", "while", "xor", "xor_eq",
}


def c_field(name):
    """protoc-c's FieldName: lower case, `_` appended to a C++ keyword."""
    name = name.lower()
    return name + "_" if name in C_KEYWORDS else name


def enum_prefix(enum_name):
    """`KVEventKind` -> `KV_EVENT_KIND_` (the style guide's value prefix)."""
    out = ""
    for i, ch in enumerate(enum_name):
        if ch.isupper() and i > 0 and (
            enum_name[i - 1].islower() or (i + 1 < len(enum_name) and enum_name[i + 1].islower())
        ):
            out += "_"
        out += ch.upper()
    return out + "_"

# ---------------------------------------------------------------------------------------------------------------
# Swift source helpers.
# ---------------------------------------------------------------------------------------------------------------


class Call:
    """`head(arg, …)tail`, kept apart so a line too long can break after the `(`."""

    def __init__(self, head, args, tail=""):
        self.head, self.args, self.tail = head, args, tail

    def __str__(self):
        return f"{self.head}({', '.join(str(a) for a in self.args)}){self.tail}"

    def wrapped(self, prefix, suffix, indent):
        """`prefix` + the call + `suffix` at `indent`: one line, or the arguments filled on the lines below."""
        line = f"{indent}{prefix}{self}{suffix}"
        if len(line) <= LINE_LIMIT or not self.args:
            return [line]
        return [f"{indent}{prefix}{self.head}("] + fill_lines(
            [str(a) for a in self.args], indent + "    ", f"){self.tail}{suffix}"
        )


def fill_lines(items, indent, last_suffix):
    """Comma-separated items packed greedily onto lines of at most LINE_LIMIT; `last_suffix` ends the last item.
    An item that fits no line alone and is a `(prefix, Call)` pair breaks inside its call."""
    lines, current = [], ""
    for n, item in enumerate(items):
        suffix = last_suffix if n == len(items) - 1 else ","
        flat = item if isinstance(item, str) else f"{item[0]}{item[1]}"
        piece = flat + suffix
        candidate = f"{current} {piece}" if current else piece
        if len(indent) + len(candidate) <= LINE_LIMIT:
            current = candidate
            continue
        if current:
            lines.append(indent + current)
        if len(indent) + len(piece) <= LINE_LIMIT or isinstance(item, str) or not isinstance(item[1], Call):
            current = piece
        else:
            lines += item[1].wrapped(item[0], suffix, indent)
            current = ""
    if current:
        lines.append(indent + current)
    return lines


def doc_lines(lines, indent):
    """A doc comment; a paragraph with a line too long for LINE_LIMIT is re-flowed."""
    width = LINE_LIMIT - len(indent) - 4
    out, paragraph = [], []

    def flush():
        if any(len(line) > width for line in paragraph):
            out.extend(textwrap.wrap(" ".join(line.strip() for line in paragraph), width, break_on_hyphens=False))
        else:
            out.extend(paragraph)
        paragraph.clear()

    for line in lines:
        if line.strip():
            paragraph.append(line)
        else:
            flush()
            out.append("")
    flush()
    return [f"{indent}///" + (f" {line}" if line else "") for line in out]


def try_prefix(throws):
    return "try " if throws else ""


# ---------------------------------------------------------------------------------------------------------------
# The model: Swift properties built from fields.
# ---------------------------------------------------------------------------------------------------------------


class Schema:
    def __init__(self, files):
        self.files = files
        self.messages = {m.name: m for f in files for m in f.messages}
        self.enums = {e.name: e for f in files for e in f.enums}
        for name in sorted(SKIP | set(DOMAIN_MESSAGES) | set(DOMAIN_ENUMS) | LIST_WRAPPERS | HASHABLE):
            if name not in self.messages and name not in self.enums:
                fail(f"an override names {name}, which the schema does not have")
        fields = {f.key for m in self.messages.values() for f in m.fields}
        for key in FIELDS:
            if key not in fields:
                fail(f"FIELDS names {key}, which the schema does not have")
        oneofs = {f"{m.name}.{o}" for m in self.messages.values() for o in m.oneofs}
        for key in ONEOFS:
            if key not in oneofs:
                fail(f"ONEOFS names {key}, which the schema does not have")
        for name in LIST_WRAPPERS:
            m = self.messages[name]
            if len(m.fields) != 1 or not m.fields[0].repeated or m.fields[0].type not in (MESSAGE, *SCALARS):
                fail(f"list wrapper {name} must have exactly one field, a repeated scalar or message")

    def swift_message(self, name):
        """The Swift type a message converts to, as code outside `extension ApusV1` spells it."""
        if name in DOMAIN_MESSAGES:
            return DOMAIN_MESSAGES[name]["swift"]
        if name in SKIP:
            fail(f"{name} has no Swift mirror (SKIP) but a generated message refers to it")
        return f"ApusV1.{name}"

    def element_type(self, field):
        """The Swift type of one value of `field` (for a message field, the message's Swift type)."""
        if field.type == MESSAGE:
            return self.swift_message(field.short_type)
        return Scalar(self, field).swift


class Scalar:
    """A non-message field's value: its Swift type, zero value, and C <-> Swift expressions for one value."""

    def __init__(self, schema, field):
        t, key = field.type, quote(field.key)
        override = FIELDS.get(field.key, {})
        self.throws = False
        if t in SCALARS:
            c_swift = SCALARS[t]
            token = field.name in ("token_id", "token_ids") or field.name.endswith(("_token_id", "_token_ids"))
            self.swift, self.zero = ("TokenID" if t == INT32 and token else c_swift), "0"
            self.encode, self.decode = (lambda v: v), (lambda c: c)
            if override.get("swift_type") == "Int":
                if c_swift not in CLAMP:
                    fail(f"{field.key}: swift_type Int is for 32-bit fields")
                self.swift = "Int"
                self.encode = lambda v: f"{CLAMP[c_swift]}({v})"
                self.decode = lambda c: f"Int({c})"
        elif t == BOOL:
            self.swift, self.zero = "Bool", "false"
            self.encode, self.decode = (lambda v: f"cBool({v})"), (lambda c: f"{c} != 0")
        elif t == STRING:
            self.swift, self.zero, self.throws = "String", '""', True
            self.encode = lambda v: f"arena.cString({v})"
            self.decode = lambda c: Call("CDecode.string", [c, key])
        elif t == BYTES and "packed" in override:
            self.swift, self.zero, self.throws = f"[{override['packed']}]", "[]", True
            self.encode = lambda v: f"arena.packed({v})"
            self.decode = lambda c: Call("CDecode.packed", [c, key])
        elif t == BYTES:
            self.swift, self.zero = "[UInt8]", "[]"
            self.encode, self.decode = (lambda v: f"arena.binary({v})"), (lambda c: f"CDecode.bytes({c})")
        elif t == ENUM and field.short_type in DOMAIN_ENUMS:
            d = DOMAIN_ENUMS[field.short_type]
            self.swift, self.zero = d["swift"], d["default"]
            self.encode = lambda v: f"{d['codec']}.cValue({v})"
            if d.get("throws"):
                self.throws = True
                self.decode = lambda c: Call(f"{d['codec']}.value", [c, key])
            else:
                self.decode = lambda c: f"{d['codec']}.value({c})"
        elif t == ENUM:
            name = field.short_type
            if name in SKIP:
                fail(f"{field.key}: enum {name} has no Swift mirror (SKIP)")
            enum = schema.enums[name]
            zero = next((n for n, v, _ in enum.values if v == 0), None)
            if zero is None:
                fail(f"enum {name} has no zero value")
            self.swift, self.zero = f"ApusV1.{name}", f".{enum_case_name(enum, zero)}"
            self.encode = lambda v: f"{v}.cEnum()"
            self.decode = lambda c: f"ApusV1.{name}(cEnum: {c})"
        else:
            fail(f"{field.key}: fields of type {t} are not supported")


def quote(s):
    return f'"{s}"'


class Prop:
    """One Swift property and its conversion: `fill` statements (`c` is the C struct, `arena` the arena), a
    `decode` expression (str or Call) that throws or not, and statements that must run before it."""

    def __init__(self, name, swift_type, default, doc):
        self.name, self.swift_type, self.default, self.doc = name, swift_type, default, doc
        self.fill, self.decode, self.throws, self.prelude = [], None, False, []
        self.stored = True
        self.nested_enum = None

    @property
    def label(self):
        return self.name.strip("`")


def build_props(schema, message):
    """The Swift properties of `message`, in field order (a `has_x` flag folds into `x`, a oneof into one)."""
    by_name = {f.name: f for f in message.fields}
    presence = {}
    for f in message.fields:
        if f.name.startswith("has_") and f.type == BOOL and not f.repeated and f.oneof is None:
            target = by_name.get(f.name[4:])
            if target is not None and target.oneof is None:
                presence[target.name] = f
    flags = {f.name for f in presence.values()}
    props, oneofs = [], set()
    for f in message.fields:
        if f.name in flags:
            continue
        if f.oneof is not None:
            if f.oneof not in oneofs:
                oneofs.add(f.oneof)
                props.append(oneof_prop(schema, message, f.oneof))
            continue
        props.append(field_prop(schema, f, presence.get(f.name)))
    return props


def field_prop(schema, f, has):
    override = FIELDS.get(f.key, {})
    name, cf, key = swift_ident(camel(f.name)), c_field(f.name), quote(f.key)
    p = Prop(name, None, None, f.doc or (has.doc if has else []))
    count, pointer = f"c.n_{cf}", f"c.{cf}"

    if override.get("omit"):
        p.stored = False
        if f.type == STRING and not f.repeated:
            p.prelude = [f"_ = try CDecode.string(c.{cf}, {key})"]
        elif f.repeated or f.type not in (*SCALARS, BOOL, ENUM):
            fail(f"{f.key}: omit is for singular scalars, enums and strings")
        return p
    if "encode" in override and not (f.repeated and f.type == MESSAGE):
        fail(f"{f.key}: encode/decode overrides are for repeated message fields")

    if f.type == MESSAGE:
        target = f.short_type
        swift = schema.swift_message(target)
        if has:
            fail(f"{f.key}: a has_ flag on a message field is not supported (a message field has presence)")
        if f.repeated and target in LIST_WRAPPERS:
            elem = schema.element_type(schema.messages[target].fields[0])
            p.swift_type, p.default = f"[[{elem}]]", "[]"
            p.fill = [f"{count} = {name}.count", f"{pointer} = ApusV1.{target}.cLists({name}, in: arena)"]
            p.decode, p.throws = Call(f"ApusV1.{target}.lists", [pointer, count, key]), True
        elif f.repeated and "encode" in override:
            p.swift_type, p.default = override["swift_type"], None
            local = f"{p.label}Wire"
            p.fill = [
                f"if !{name}.isEmpty {{",
                f"    let {local} = {override['encode']}({name})",
                f"    {count} = {local}.count",
                f"    {pointer} = arena.messages({local})",
                "}",
            ]
            p.decode = Call(override["decode"], [Call("CDecode.messages", [pointer, count, key])])
            p.throws = True
        elif f.repeated:
            p.swift_type, p.default = f"[{swift}]", "[]"
            p.fill = [f"{count} = {name}.count", f"{pointer} = arena.messages({name})"]
            p.decode, p.throws = Call("CDecode.messages", [pointer, count, key]), True
        elif DOMAIN_MESSAGES.get(target, {}).get("default"):
            default = DOMAIN_MESSAGES[target]["default"]
            p.swift_type, p.default = swift, default
            p.fill = [f"{pointer} = arena.message({name})"]
            p.decode, p.throws = Call("CDecode.message", [pointer], f" ?? {default}"), True
        else:
            p.swift_type, p.default = f"{swift}?", "nil"
            p.fill = [f"{pointer} = {name}.map {{ arena.message($0) }}"]
            p.decode, p.throws = Call("CDecode.message", [pointer]), True
        return p

    value = Scalar(schema, f)
    flag = f"c.{c_field(has.name)}" if has else None
    if f.repeated:
        if f.type in SCALARS and value.swift != "Int":
            p.swift_type, p.default = f"[{value.swift}]", "[]"
            p.fill = [f"{count} = {name}.count", f"{pointer} = arena.copy({name})"]
            p.decode, p.throws = Call("CDecode.array", [pointer, count, key]), True
            if has:
                p.swift_type, p.default = f"[{value.swift}]?", "nil"
                p.fill = [
                    f"{flag} = cBool({name} != nil)",
                    f"{count} = {name}?.count ?? 0",
                    f"{pointer} = {name}.flatMap {{ arena.copy($0) }}",
                ]
                p.decode = Call("CDecode.optionalArray", [pointer, count, key, f"present: {flag} != 0"])
        elif has:
            fail(f"{f.key}: a has_ flag is supported on repeated scalars only")
        elif f.type == STRING:
            p.swift_type, p.default = "[String]", "[]"
            p.fill = [f"{count} = {name}.count", f"{pointer} = arena.cStrings({name})"]
            p.decode, p.throws = Call("CDecode.strings", [pointer, count, key]), True
        elif f.type == BYTES and "packed" not in override:
            p.swift_type, p.default = "[[UInt8]]", "[]"
            p.fill = [f"{count} = {name}.count", f"{pointer} = arena.binaries({name})"]
            p.decode, p.throws = Call("CDecode.bytesList", [pointer, count, key]), True
        else:
            fail(f"{f.key}: this kind of repeated field is not supported")
        return p

    if has:
        if value.throws:
            fail(f"{f.key}: a has_ flag is supported on scalars, bools and enums only")
        p.swift_type, p.default = f"{value.swift}?", "nil"
        p.fill = [f"{flag} = cBool({name} != nil)", f"{pointer} = {value.encode(f'{name} ?? {value.zero}')}"]
        p.decode = f"{flag} != 0 ? {value.decode(pointer)} : nil"
        return p
    p.swift_type, p.default = value.swift, value.zero
    p.fill = [f"{pointer} = {value.encode(name)}"]
    p.decode, p.throws = value.decode(pointer), value.throws
    return p


def oneof_prop(schema, message, index):
    oneof = message.oneofs[index]
    key = f"{message.name}.{oneof}"
    members = [f for f in message.fields if f.oneof == index]
    for f in members:
        if f.repeated or f.type == MESSAGE:
            fail(f"{f.key}: oneof members must be scalars, strings, bytes or enums")
    name = swift_ident(camel(oneof))
    override = ONEOFS.get(key)
    if override:
        swift, cases = override["swift_type"], override["cases"]
        if set(cases) != {f.name for f in members}:
            fail(f"ONEOFS[{key}] must name one case for each of {[f.name for f in members]}")
    else:
        swift = camel(oneof, upper_first=True)
        cases = {f.name: swift_ident(camel(f.name)) for f in members}
    p = Prop(name, f"{swift}?", "nil", message.oneof_docs[index])
    if not override:
        p.nested_enum = (swift, [(cases[f.name], Scalar(schema, f).swift, f.doc) for f in members])
    case_c = f"c.{c_field(oneof)}_case"
    enum_c = c_lower(message.name).upper() + "__" + oneof.upper()
    p.fill = [f"switch {name} {{", "case nil:", f"    {case_c} = {enum_c}__NOT_SET"]
    p.prelude = [f"let {name}: {swift}?", f"switch {case_c} {{"]
    for f in members:
        value, cf = Scalar(schema, f), c_field(f.name)
        p.fill += [
            f"case .{cases[f.name]}(let value):",
            f"    {case_c} = {enum_c}_{f.name.upper()}",
            f"    c.{cf} = {value.encode('value')}",
        ]
        p.prelude += [
            f"case {enum_c}_{f.name.upper()}:",
            f"    {name} = .{cases[f.name]}({try_prefix(value.throws)}{value.decode(f'c.{cf}')})",
        ]
    p.fill.append("}")
    p.prelude += ["default:", f"    {name} = nil", "}"]
    p.decode = name
    return p


def enum_case_name(enum, value_name):
    """`KV_EVENT_KIND_STORED` of `KVEventKind` -> `stored` (the prefix is dropped when every value has it)."""
    prefix = enum_prefix(enum.name)
    if all(n.startswith(prefix) for n, _, _ in enum.values):
        value_name = value_name[len(prefix) :]
    return swift_ident(camel(value_name.lower()))


# ---------------------------------------------------------------------------------------------------------------
# Emission.
# ---------------------------------------------------------------------------------------------------------------

I1, I2, I3 = "    ", "        ", "            "


def emit_enum(enum):
    cases = [(enum_case_name(enum, n), v, doc) for n, v, doc in enum.values]
    if len({v for _, v, _ in cases}) != len(cases) or len({c for c, _, _ in cases}) != len(cases):
        fail(f"enum {enum.name}: aliases are not supported")
    out = doc_lines([f"`{PACKAGE}.{enum.name}`."] + ([""] + enum.doc if enum.doc else []), I1)
    out.append(f"{I1}public enum {enum.name}: WireEnum {{")
    for case, _, doc in cases:
        out += doc_lines(doc, I2) + [f"{I2}case {case}"]
    out += doc_lines(["A value this build does not know (from a newer peer); re-encodes unchanged."], I2)
    out += [f"{I2}case unrecognized(Int32)", "", f"{I2}public init(rawValue: Int32) {{", f"{I3}switch rawValue {{"]
    out += [f"{I3}case {v}: self = .{case}" for case, v, _ in cases]
    out += [f"{I3}default: self = .unrecognized(rawValue)", f"{I3}}}", f"{I2}}}", ""]
    out += [f"{I2}public var rawValue: Int32 {{", f"{I3}switch self {{"]
    out += [f"{I3}case .{case}: {v}" for case, v, _ in cases]
    out += [f"{I3}case .unrecognized(let value): value", f"{I3}}}", f"{I2}}}", f"{I1}}}"]
    return out


def local_type(swift_type):
    """Inside `extension ApusV1` a mirror is spelled without the namespace."""
    return swift_type.replace("ApusV1.", "")


def emit_struct(message, props):
    conformances = "Sendable, Hashable" if message.name in HASHABLE else "Sendable, Equatable"
    doc = [f"`{PACKAGE}.{message.name}`."] + ([""] + message.doc if message.doc else [])
    if message.name in LIST_WRAPPERS:
        doc += ["", "A repeated field of this message is a list of lists in Swift (`cLists` / `lists` convert it)."]
    out = doc_lines(doc, I1) + [f"{I1}public struct {message.name}: {conformances} {{"]
    stored = [p for p in props if p.stored]
    for p in stored:
        if p.nested_enum:
            enum_name, cases = p.nested_enum
            out += doc_lines([f"The values of `{p.label}`."], I2) + [f"{I2}public enum {enum_name}: {conformances} {{"]
            for case, t, doc in cases:
                out += doc_lines(doc, I3) + [f"{I3}case {case}({local_type(t)})"]
            out += [f"{I2}}}", ""]
    for p in stored:
        out += doc_lines(p.doc, I2) + [f"{I2}public var {p.name}: {local_type(p.swift_type)}"]
    if stored:
        params = [f"{p.name}: {local_type(p.swift_type)} = {p.default}" for p in stored]
        signature = f"{I2}public init({', '.join(params)}) {{"
        if len(signature) <= LINE_LIMIT:
            out += ["", signature]
        else:
            out += ["", f"{I2}public init("] + fill_lines(params, I3, "") + [f"{I2}) {{"]
        out += [f"{I3}self.{p.label} = {p.name}" for p in stored] + [f"{I2}}}"]
    else:
        out.append(f"{I2}public init() {{}}")
    out.append(f"{I1}}}")
    return out


def emit_conversion(schema, message, props):
    c_name = c_type(message.name)
    domain = DOMAIN_MESSAGES.get(message.name)
    swift = domain["swift"] if domain else f"ApusV1.{message.name}"
    out = [
        f"extension {swift}: CMessageConvertible {{",
        f"{I1}nonisolated(unsafe) public static let descriptor = protobufDescriptor({c_lower(message.name)}__init)",
        "",
    ]
    fill = [s for p in props if p.stored for s in p.fill]
    if fill:
        out += [f"{I1}func fill(_ c: inout {c_name}, in arena: CArena) {{"] + [f"{I2}{s}" for s in fill] + [f"{I1}}}"]
    else:
        out.append(f"{I1}func fill(_ c: inout {c_name}, in arena: CArena) {{}}")
    out.append("")

    head = f"init(c: {c_name}) throws(WireDecodingError)"
    body = []
    if domain and domain["construct"] == "assign":
        body.append(f"{I2}self.init()")
        for p in props:
            body += [f"{I2}{s}" for s in p.prelude]
            if p.stored:
                prefix = f"{p.name} = {try_prefix(p.throws)}"
                body += p.decode.wrapped(prefix, "", I2) if isinstance(p.decode, Call) else [f"{I2}{prefix}{p.decode}"]
    else:
        body += [f"{I2}{s}" for p in props for s in p.prelude]
        args = [(f"{p.label}: {try_prefix(p.throws)}", p.decode) for p in props if p.stored]
        if not args:
            body.append(f"{I2}self.init()")
        else:
            flat = f"{I2}self.init({', '.join(a + str(d) for a, d in args)})"
            body += [flat] if len(flat) <= LINE_LIMIT else [f"{I2}self.init("] + fill_lines(args, I3, ")")
    if len(body) == 1 and len(f"{I1}{head} {{ {body[0].strip()} }}") <= LINE_LIMIT:
        out.append(f"{I1}{head} {{ {body[0].strip()} }}")
    else:
        out += [f"{I1}{head} {{"] + body + [f"{I1}}}"]
    if message.name in LIST_WRAPPERS:
        out += emit_list_helpers(schema, message)
    out.append("}")
    return out


def emit_list_helpers(schema, message):
    """`[[Element]]` <-> a repeated field of this message, without a Swift struct per list."""
    f = message.fields[0]
    cf, c_name = c_field(f.name), c_type(message.name)
    elem = schema.element_type(f)
    if f.type == MESSAGE:
        fill, decode = f"arena.messages(lists[i])", f"CDecode.messages(c.{cf}, c.n_{cf}, field)"
    else:
        fill, decode = f"arena.copy(lists[i])", f"CDecode.array(c.{cf}, c.n_{cf}, field)"
    pointers = f"UnsafeMutablePointer<UnsafeMutablePointer<{c_name}>?>?"
    return [
        "",
        f"{I1}/// `[[{elem}]]` as a repeated {message.name}.",
        f"{I1}static func cLists(_ lists: [[{elem}]], in arena: CArena)",
        f"{I2}-> {pointers}",
        f"{I1}{{",
        f"{I2}arena.messages(count: lists.count, descriptor: descriptor) {{ (c: inout {c_name}, i) in",
        f"{I3}c.n_{cf} = lists[i].count",
        f"{I3}c.{cf} = {fill}",
        f"{I2}}}",
        f"{I1}}}",
        "",
        f"{I1}/// A repeated {message.name} as `[[{elem}]]`.",
        f"{I1}static func lists(",
        f"{I2}_ p: Unsafe{pointers[len('UnsafeMutable'):]}, _ count: Int, _ field: StaticString",
        f"{I1}) throws(WireDecodingError) -> [[{elem}]] {{",
        f"{I2}try CDecode.each(p, count, field) {{ (c) throws(WireDecodingError) in",
        f"{I3}try {decode}",
        f"{I2}}}",
        f"{I1}}}",
    ]


SERVING_CORE_NAMES = ("TokenID", "SamplingParams", "PositionLogprobs", "FinishReason", "StopReason")


def emit_file(schema, proto):
    enums = [e for e in proto.enums if e.name not in SKIP and e.name not in DOMAIN_ENUMS]
    messages = [m for m in proto.messages if m.name not in SKIP]
    if not enums and not messages:
        return None
    body = []
    for e in enums:
        body += ["extension ApusV1 {"] + emit_enum(e) + ["}", ""]
    for m in messages:
        props = build_props(schema, m)
        if m.name not in DOMAIN_MESSAGES:
            body += ["extension ApusV1 {"] + emit_struct(m, props) + ["}", ""]
        body += emit_conversion(schema, m, props) + [""]
    source = "\n".join(body)
    imports = ["import CApusProto"]
    if any(re.search(rf"\b{n}\b", source) for n in SERVING_CORE_NAMES):
        imports.append("import ServingCore")
    header = [
        f"// Generated by scripts/gen-swift-wire.py from Protos/{proto.name}: do not edit. Change the .proto (or the",
        "// generator's override tables) and run scripts/gen-proto.sh.",
        "",
    ]
    return "\n".join(header + imports + [""] + body).rstrip("\n") + "\n"


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: gen-swift-wire.py DESCRIPTOR_SET OUT_DIR")
    files = [ProtoFile(raw) for raw in parse(Path(sys.argv[1]).read_bytes()).get(1, [])]
    for f in files:
        if f.package != PACKAGE:
            fail(f"{f.name}: package {f.package}, expected {PACKAGE}")
    schema = Schema(files)
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    for proto in sorted(files, key=lambda f: f.name):
        source = emit_file(schema, proto)
        if source is not None:
            stem = Path(proto.name).stem
            (out / f"ApusV1+{stem[:1].upper()}{stem[1:]}.swift").write_text(source)


if __name__ == "__main__":
    main()
