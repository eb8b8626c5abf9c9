// JSON that comes from outside (form pages given with `--input`, a line of a batch file, pages a
// front end posts), bounded in how deep it nests. nlohmann_json parses without recursing, but
// copying, comparing and printing a value recurse once per level, so input that nests without
// bound could exhaust the stack long after it was accepted. Deeper input is refused where it
// enters, with a message naming the input and the field it was found in.
#pragma once

#include <cstddef>
#include <string_view>

#include <wfrun/step.hpp>

namespace wfrun {

// How deep arrays and objects may nest in JSON input: a list of pages, a page, a field's value
// and 61 more levels inside it.
inline constexpr std::size_t max_json_depth = 64;

// Parses `text`, the input called `what` in messages (`--input`, `line 3`). Throws
// json::parse_error for text that is not JSON, and std::invalid_argument for JSON that nests
// deeper than max_json_depth, naming `what` and the outermost field on the way down.
json parse_json_input(std::string_view text, std::string_view what);

// The same limit for a value parsed elsewhere (without recursing): throws
// std::invalid_argument naming `what` and the field.
void check_json_depth(const json& value, std::string_view what);

}  // namespace wfrun
