// `wfrun fmt`: one canonical layout for `.wf` files, printed from the syntax tree. Comments are
// kept where they were (a comment on its own line stays before what followed it, a comment at
// the end of a line stays at the end of that line), single blank lines between members are
// kept, and formatting a formatted file changes nothing. A carriage return without a line feed
// after it is a line break to fmt, and is written as one.
//
// The layout: four spaces per level; one blank line between declarations; a workflow's property
// values aligned; field names aligned within a run of fields; `steps` one element per line, each
// continuation line starting with `>>`; named chains and `if`/`group`/`(...)` bodies on one line
// when they fit in 100 columns and hold no comment, else one element per line.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "grammar/diagnostic.hpp"

namespace wfrun {

struct format_result {
    std::string text;                     // the formatted file; empty when it did not parse
    std::vector<diagnostic> diagnostics;  // syntax errors (E001)
    bool ok() const { return diagnostics.empty(); }
};

// Formats `source`, naming it `path` in diagnostics.
format_result format_source(const std::string& path, std::string_view source);

// A string literal for `text`: quotes, and escapes for `"`, `\`, line breaks, tabs and other
// control characters.
std::string quote_string(std::string_view text);

}  // namespace wfrun
