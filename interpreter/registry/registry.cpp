// The step registry: manifests are checked when a step is added, so a mistake in a C++
// registration fails at start-up, before any workflow runs.
#include <set>

#include <fmt/format.h>

#include <wfrun/step.hpp>

namespace wfrun {

std::string_view to_string(value_type t) {
    switch (t) {
        case value_type::any:
            return "any";
        case value_type::string:
            return "str";
        case value_type::integer:
            return "int";
        case value_type::boolean:
            return "bool";
        case value_type::duration:
            return "duration";
        case value_type::target:
            return "Target";
        case value_type::lifecycle:
            return "SubscriptionLifecycle";
        case value_type::subscription:
            return "subscription";
        case value_type::list:
            return "list";
        case value_type::object:
            return "object";
    }
    return "any";
}

step_error value_error(const std::string& message) {
    return step_error("ValueError", message);
}
step_error key_error(const std::string& message) {
    return step_error("KeyError", message);
}

namespace {

bool is_identifier(std::string_view s) {
    if (s.empty()) return false;
    auto alpha = [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    };
    if (!alpha(s[0])) return false;
    for (char c : s)
        if (!alpha(c) && !(c >= '0' && c <= '9')) return false;
    return true;
}

// Calls f(name) for every `{name}` placeholder of a display name.
template <typename F>
void for_each_placeholder(std::string_view text, F&& f) {
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '{') continue;
        auto end = text.find('}', i);
        if (end == std::string_view::npos) return;
        f(text.substr(i + 1, end - i - 1));
        i = end;
    }
}

void check_manifest(const step_manifest& m) {
    auto fail = [&](const std::string& why) {
        throw registration_error(fmt::format("step '{}': {}", m.name, why));
    };
    if (!is_identifier(m.name)) fail("the name must be an identifier");
    if (m.display_name.empty()) fail("a display name is required");
    std::set<std::string, std::less<>> seen;
    for (const auto& p : m.params) {
        if (!is_identifier(p.name))
            fail(fmt::format("parameter '{}' is not an identifier", p.name));
        if (!seen.insert(p.name).second)
            fail(fmt::format("parameter '{}' is declared twice", p.name));
    }
    for_each_placeholder(m.display_name, [&](std::string_view name) {
        if (!seen.count(name))
            fail(fmt::format("display name placeholder '{{{}}}' names no parameter", name));
    });
    for (const auto* keys : {&m.reads, &m.writes}) {
        std::set<std::string> names;
        for (const auto& k : *keys) {
            if (k.name.empty()) fail("a state key needs a name");
            if (!names.insert(k.name).second)
                fail(fmt::format("state key '{}' is listed twice", k.name));
        }
    }
}

}  // namespace

registry& registry::add(step_manifest manifest, step_function run) {
    check_manifest(manifest);
    if (!run) throw registration_error(fmt::format("step '{}': no function", manifest.name));
    auto& by_type = steps_[manifest.name];
    if (by_type.count(manifest.product_type))
        throw registration_error(
            fmt::format("step '{}' is registered twice{}", manifest.name,
                        manifest.product_type.empty()
                            ? std::string()
                            : fmt::format(" for product type {}", manifest.product_type)));
    auto type = manifest.product_type;
    by_type.emplace(std::move(type),
                    std::make_unique<step_entry>(step_entry{std::move(manifest), std::move(run)}));
    return *this;
}

registry& registry::add_schema(std::string sql) {
    schemas_.push_back(std::move(sql));
    return *this;
}

const step_entry* registry::find(std::string_view name, std::string_view product_type) const {
    auto it = steps_.find(name);
    if (it == steps_.end()) return nullptr;
    const auto& by_type = it->second;
    if (auto t = by_type.find(std::string(product_type)); t != by_type.end())
        return t->second.get();
    if (auto any = by_type.find(std::string()); any != by_type.end()) return any->second.get();
    return nullptr;
}

bool registry::contains(std::string_view name) const {
    return steps_.find(name) != steps_.end();
}

std::vector<const step_entry*> registry::entries() const {
    std::vector<const step_entry*> out;
    for (const auto& [name, by_type] : steps_)
        for (const auto& [type, entry] : by_type) out.push_back(entry.get());
    return out;
}

std::vector<std::string> registry::names() const {
    std::vector<std::string> out;
    for (const auto& [name, by_type] : steps_) out.push_back(name);
    return out;
}

std::string display_name(const step_manifest& m, const json& args) {
    std::string out;
    const auto& text = m.display_name;
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto end = text[i] == '{' ? text.find('}', i) : std::string::npos;
        if (end == std::string::npos) {
            out += text[i];
            continue;
        }
        auto name = text.substr(i + 1, end - i - 1);
        if (auto it = args.find(name); it != args.end() && !it->is_null())
            out += it->is_string() ? it->get<std::string>() : it->dump();
        i = end;
    }
    return out;
}

}  // namespace wfrun
