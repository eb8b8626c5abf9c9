// compact_json(): plain strings (printable ASCII, nothing to escape) are copied as they are and
// integers written directly; everything else (escapes, UTF-8, floats) goes through json::dump()
// itself, so the text is byte for byte what dump() writes.
#include "interpreter/store/json_text.hpp"

#include <algorithm>
#include <cstdint>

#include <fmt/format.h>

namespace wfrun {

namespace {

void append_string(std::string& out, const std::string& text) {
    bool plain = std::all_of(text.begin(), text.end(),
                             [](char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; });
    if (!plain) {
        out += json(text).dump();
        return;
    }
    out += '"';
    out += text;
    out += '"';
}

void append_json(std::string& out, const json& v) {
    switch (v.type()) {
        case json::value_t::object: {
            out += '{';
            bool first = true;
            for (const auto& [key, item] : v.items()) {
                if (!first) out += ',';
                first = false;
                append_string(out, key);
                out += ':';
                append_json(out, item);
            }
            out += '}';
            return;
        }
        case json::value_t::array: {
            out += '[';
            for (std::size_t i = 0; i < v.size(); ++i) {
                if (i) out += ',';
                append_json(out, v[i]);
            }
            out += ']';
            return;
        }
        case json::value_t::string:
            append_string(out, v.get_ref<const std::string&>());
            return;
        case json::value_t::number_integer:
            out += fmt::format_int(v.get<std::int64_t>()).c_str();
            return;
        case json::value_t::number_unsigned:
            out += fmt::format_int(v.get<std::uint64_t>()).c_str();
            return;
        case json::value_t::boolean:
            out += v.get<bool>() ? "true" : "false";
            return;
        case json::value_t::null:
            out += "null";
            return;
        default:
            break;
    }
    out += v.dump();
}

}  // namespace

std::string compact_json(const json& v) {
    std::string out;
    out.reserve(1024);
    append_json(out, v);
    return out;
}

}  // namespace wfrun
