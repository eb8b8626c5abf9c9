// Parsing JSON input with a bound on its nesting (json_input.hpp). The bound is checked while
// parsing, through the parser's callback, so that a value too deep is never built whole.
#include "interpreter/util/json_input.hpp"

#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace wfrun {

namespace {

[[noreturn]] void too_deep(std::string_view what, const std::string& field) {
    throw std::invalid_argument(
        fmt::format("{}: JSON nested more than {} levels deep{}", what, max_json_depth,
                    field.empty() ? std::string() : fmt::format(" (in field '{}')", field)));
}

}  // namespace

json parse_json_input(std::string_view text, std::string_view what) {
    // The key read last at each object level, outermost first: (depth, key).
    std::vector<std::pair<int, std::string>> keys;
    json::parser_callback_t limit = [&](int depth, json::parse_event_t event, json& parsed) {
        if (event == json::parse_event_t::key) {
            while (!keys.empty() && keys.back().first >= depth) keys.pop_back();
            keys.emplace_back(depth, parsed.get<std::string>());
        } else if ((event == json::parse_event_t::object_start ||
                    event == json::parse_event_t::array_start) &&
                   static_cast<std::size_t>(depth) >= max_json_depth) {
            too_deep(what, keys.empty() ? std::string() : keys.front().second);
        }
        return true;
    };
    return json::parse(text.begin(), text.end(), limit);
}

void check_json_depth(const json& value, std::string_view what) {
    // Depth first with a stack of its own: (value, depth, outermost field).
    struct pending {
        const json* value;
        std::size_t depth;
        const std::string* field;
    };
    std::vector<pending> stack{{&value, 0, nullptr}};
    while (!stack.empty()) {
        const pending p = stack.back();
        stack.pop_back();
        if (!p.value->is_structured()) continue;
        if (p.depth >= max_json_depth) too_deep(what, p.field ? *p.field : std::string());
        const bool object = p.value->is_object();
        for (auto it = p.value->begin(); it != p.value->end(); ++it)
            stack.push_back({&*it, p.depth + 1, p.field || !object ? p.field : &it.key()});
    }
}

}  // namespace wfrun
