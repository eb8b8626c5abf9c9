// Form pages: a `form` declaration evaluated in its context (defaults, templates, subscription
// choices), the page's JSON schema in the shape pydantic v2 and pydantic-forms produce, and the
// validation of one submitted page with pydantic's error messages and types.
//
// Where pydantic-forms would emit `$defs` and `$ref` for an enum (a `choice` or `subscription`
// field), the enum is inlined in the field (`enum` plus `options` value -> label), which every
// JSON-schema renderer reads without resolving references. `form_field::enum_title` is kept on
// the field for callers that want the pydantic enum name but is not written to the schema.
#include "interpreter/forms/forms.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
// GCC 12 with -fsanitize reports a false -Wmaybe-uninitialized inside <regex> (GCC bug 105562).
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <regex>
#pragma GCC diagnostic pop
#else
#include <regex>
#endif
#include <set>
#include <variant>

#include <fmt/format.h>

namespace wfrun {
namespace {

using kind = form_field::kind;

// pydantic's default field title: `name.replace("_", " ").title()`, where Python's title()
// upper-cases a letter that follows a non-letter and lower-cases every other letter.
std::string title_case(std::string_view name) {
    std::string out;
    bool after_letter = false;
    for (char ch : name) {
        auto c = static_cast<unsigned char>(ch);
        if (c == '_') c = ' ';
        bool letter = std::isalpha(c) != 0;
        out += static_cast<char>(letter ? (after_letter ? std::tolower(c) : std::toupper(c)) : c);
        after_letter = letter;
    }
    return out;
}

// Characters in a UTF-8 string (pydantic counts code points, not bytes).
std::int64_t char_count(const std::string& s) {
    return std::count_if(s.begin(), s.end(),
                         [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

std::string plural(std::int64_t n, std::string_view word) {
    return fmt::format("{} {}{}", n, word, n == 1 ? "" : "s");
}

// ---------------------------------------------------------------------------------------------
// Compiling a field declaration: everything about a field that does not depend on the context

class field_compiler {
  public:
    field_compiler(const ast::field_decl& decl, std::vector<field_problem>& problems)
        : decl_(decl), problems_(problems) {}

    form_field compile() {
        form_field f;
        f.name = decl_.name;
        f.title = title_case(decl_.name);
        f.optional = decl_.type.optional;

        const std::size_t before = problems_.size();
        const std::string& type = decl_.type.name;
        if (type == "Label" || type == "Divider") {
            f.k = type == "Label" ? kind::label : kind::divider;
            f.optional = true;
        } else if (type == "list") {
            f.k = kind::list;
            if (decl_.type.args.size() != 1)
                problem(decl_.type.pos, "E104", "list(...) takes one item type");
            else
                f.item_kind = scalar(decl_.type.args.front(), f);
        } else if (auto k = scalar(decl_.type, f)) {
            f.k = *k;
        }
        // Which modifiers a field takes depends on its type: with the type unknown, nothing
        // more can be said.
        if (problems_.size() != before) return f;

        const ast::modifier* readonly = nullptr;
        for (const auto& mod : decl_.modifiers) {
            if (mod.name == "readonly") readonly = &mod;
            modifier(mod, f);
        }
        if (f.min && f.max && *f.min > *f.max)
            problem(decl_.type.pos, "E119",
                    fmt::format("min {} is greater than max {}: no value fits", *f.min, *f.max));
        // An optional field's default is null when none is written.
        if (readonly && !decl_.default_value && !f.optional)
            problem(readonly->pos, "E117", "a readonly field needs a default");
        return f;
    }

  private:
    void problem(const ast::position& pos, const char* code, std::string message) {
        problems_.push_back({pos, code, std::move(message)});
    }

    // The kind of a scalar type (a field's type, or a list's item type), with a choice's
    // options; nullopt (and a problem) for a type that is not one.
    std::optional<kind> scalar(const ast::type_ref& type, form_field& f) {
        const std::string& name = type.name;
        if (name == "str") return kind::string;
        if (name == "int") return kind::integer;
        if (name == "bool") return kind::boolean;
        if (name == "choice") {
            for (const auto& c : type.choices) f.choices.push_back({c, c});
            return kind::choice;
        }
        if (name == "subscription") {
            if (type.args.empty()) {
                problem(type.pos, "E104", "subscription(...) needs a product type");
                return std::nullopt;
            }
            f.enum_title = type.args.front().name + "Enum";
            return kind::choice;
        }
        problem(type.pos, "E104", fmt::format("unknown field type '{}'", name));
        return std::nullopt;
    }

    void modifier(const ast::modifier& mod, form_field& f) {
        const ast::position& at = mod.arg ? mod.arg->pos : mod.pos;
        if (mod.name == "readonly") {
            f.readonly = true;
        } else if (mod.name == "min" || mod.name == "max") {
            // A length (str), a bound (int) or a number of items (list).
            const bool has_length =
                f.k == kind::string || f.k == kind::integer || f.k == kind::list;
            if (!mod.arg || mod.arg->k != ast::value::kind::integer)
                problem(at, "E115", fmt::format("{} takes an integer", mod.name));
            else if (!has_length)
                problem(mod.pos, "E115",
                        fmt::format("{} applies to str, int and list, not to {}", mod.name,
                                    type_text(decl_.type)));
            else if (f.k != kind::integer &&
                     (mod.arg->number < 0 || mod.arg->number > max_form_length))
                problem(at, "E119",
                        fmt::format(
                            "{} {} is out of range: a {} takes 0 to {}", mod.name, mod.arg->source,
                            f.k == kind::list ? "number of items" : "length", max_form_length));
            else
                (mod.name == "min" ? f.min : f.max) = mod.arg->number;
        } else if (mod.name == "pattern") {
            if (!mod.arg || mod.arg->k != ast::value::kind::string) {
                problem(at, "E116", "pattern takes a string");
            } else if (f.k != kind::string && f.item_kind != kind::string) {
                problem(mod.pos, "E116",
                        fmt::format("pattern applies to str and list(str), not to {}",
                                    type_text(decl_.type)));
            } else {
                try {
                    std::regex re(mod.arg->text, std::regex::ECMAScript);
                    f.pattern = mod.arg->text;
                } catch (const std::regex_error& e) {
                    problem(at, "E114",
                            fmt::format("invalid pattern '{}': {}", mod.arg->text, e.what()));
                }
            }
        } else if (mod.name != "required") {  // `required X` belongs to blocks
            problem(mod.pos, "E108", fmt::format("unknown modifier '{}'", mod.name));
        }
    }

    // A type as written, for messages: `bool`, `list(bool)`, `subscription(UserGroup)`.
    static std::string type_text(const ast::type_ref& t) {
        std::string out = t.name;
        if (!t.args.empty()) {
            out += '(';
            for (std::size_t i = 0; i < t.args.size(); ++i)
                out += (i ? ", " : "") + type_text(t.args[i]);
            out += ')';
        } else if (!t.choices.empty()) {
            out += "(...)";
        }
        return out;
    }

    const ast::field_decl& decl_;
    std::vector<field_problem>& problems_;
};

// ---------------------------------------------------------------------------------------------
// Building a page from a declaration

// A value as written, compiled to what build_page evaluates.
form_value compile_value(const ast::value& v) {
    form_value out;
    switch (v.k) {
        case ast::value::kind::integer:
            out.literal = v.number;
            break;
        case ast::value::kind::boolean:
            out.literal = v.number != 0;
            break;
        case ast::value::kind::string:
            // Without braces a template is its own text.
            if (v.text.find_first_of("{}") == std::string::npos)
                out.literal = v.text;
            else
                out = {form_value::kind::text, {}, v.text, {}};
            break;
        case ast::value::kind::name:
        case ast::value::kind::path:
            out = {form_value::kind::path, {}, v.text, {}};
            break;
        case ast::value::kind::list:
            out.k = form_value::kind::list;
            for (const auto& item : v.items) out.items.push_back(compile_value(item));
            break;
        case ast::value::kind::duration:
            out = {form_value::kind::invalid, {}, v.source, {}};
            break;
    }
    return out;
}

class page_builder {
  public:
    page_builder(const form_template& form, const json& context,
                 const subscription_choices& choices)
        : form_(form), context_(context), choices_(choices) {}

    form_page build() {
        if (!form_.problem.empty()) throw form_error(form_.problem);
        form_page page;
        if (form_.title) page.title = text_of(*form_.title, "title");
        page.fields.reserve(form_.fields.size());
        for (const auto& t : form_.fields) page.fields.push_back(field(t));
        return page;
    }

  private:
    [[noreturn]] void fail(std::string_view where, std::string_view what) const {
        throw form_error(fmt::format("form '{}' {}: {}", form_.name, where, what));
    }

    // A title: a template string, or a path whose value is written as interpolate writes it.
    std::string text_of(const form_value& v, std::string_view where) const {
        json value = evaluate(v, where);
        if (value.is_string()) return value.get<std::string>();
        if (value.is_null()) return "None";
        return value.dump();
    }

    // A default: literals as they are, templates interpolated, paths looked up.
    json evaluate(const form_value& v, std::string_view where) const {
        switch (v.k) {
            case form_value::kind::literal:
                return v.literal;
            case form_value::kind::text:
                try {
                    return interpolate(v.text, context_);
                } catch (const form_error& e) {
                    fail(where, e.what());
                }
            case form_value::kind::path: {
                const json* found = lookup_path(context_, v.text);
                if (!found) fail(where, fmt::format("unknown path '{}'", v.text));
                return *found;
            }
            case form_value::kind::list: {
                json items = json::array();
                for (const auto& item : v.items) items.push_back(evaluate(item, where));
                return items;
            }
            case form_value::kind::invalid:
                break;
        }
        fail(where, fmt::format("'{}' is not a form default", v.text));
    }

    form_field field(const field_template& t) const {
        form_field f = t.field;
        // A subscription field (or a list of them) offers the subscriptions that exist now.
        if (!t.subscription_type.empty() && choices_)
            f.choices = choices_(t.subscription_type, t.subscription_lifecycles);
        if (t.default_value) {
            f.default_value = evaluate(*t.default_value, fmt::format("field '{}'", f.name));
        } else if (f.optional) {
            f.default_value = nullptr;
        }
        return f;
    }

    const form_template& form_;
    const json& context_;
    const subscription_choices& choices_;
};

// ---------------------------------------------------------------------------------------------
// Schemas

// The schema of one value of kind `k` (a field, or a list's items), without title and default.
json value_schema(const form_field& f, kind k) {
    json s = json::object();
    switch (k) {
        case kind::string:
            s["type"] = "string";
            if (f.k == kind::string) {
                if (f.min) s["minLength"] = *f.min;
                if (f.max) s["maxLength"] = *f.max;
            }
            if (!f.pattern.empty()) s["pattern"] = f.pattern;
            break;
        case kind::integer:
            s["type"] = "integer";
            if (f.k == kind::integer) {
                if (f.min) s["minimum"] = *f.min;
                if (f.max) s["maximum"] = *f.max;
            }
            break;
        case kind::boolean:
            s["type"] = "boolean";
            break;
        case kind::uuid:
            s["format"] = "uuid";
            s["type"] = "string";
            break;
        case kind::choice: {
            s["type"] = "string";
            json values = json::array();
            json options = json::object();
            for (const auto& c : f.choices) {
                values.push_back(c.value);
                options[c.value] = c.label;
            }
            s["enum"] = values;
            s["options"] = options;
            if (!f.choice_format.empty()) s["format"] = f.choice_format;
            break;
        }
        case kind::list:
            s["type"] = "array";
            s["items"] = value_schema(f, f.item_kind.value_or(kind::string));
            if (f.min) s["minItems"] = *f.min;
            if (f.max) s["maxItems"] = *f.max;
            if (f.item_kind == kind::choice) s["uniqueItems"] = true;
            break;
        case kind::label:
        case kind::divider:
            break;  // written whole by field_schema
    }
    return s;
}

json field_schema(const form_field& f) {
    json s;
    if (f.k == kind::label || f.k == kind::divider) {
        // pydantic-forms: Annotated[Optional[str], Field(None, frozen=True,
        // json_schema_extra={"format": "label", "type": "string"})]
        s = {{"anyOf", json::array({{{"type", "string"}}, {{"type", "null"}}})},
             {"format", f.k == kind::label ? "label" : "divider"},
             {"type", "string"}};
        s["default"] = f.default_value.value_or(nullptr);
    } else if (f.optional) {
        s["anyOf"] = json::array({value_schema(f, f.k), {{"type", "null"}}});
        s["default"] = f.default_value.value_or(nullptr);
    } else {
        s = value_schema(f, f.k);
        if (f.default_value) s["default"] = *f.default_value;
    }
    s["title"] = f.title;
    if (f.readonly) {
        s["uniforms"] = {{"disabled", true}, {"value", f.default_value.value_or(nullptr)}};
    }
    return s;
}

// ---------------------------------------------------------------------------------------------
// Validation

// A value error: the pydantic message and type, at `suffix` below the field (a list index).
struct value_error {
    std::string message;
    std::string type;
};

std::string choices_message(const std::vector<choice_option>& choices) {
    if (choices.empty()) return "There is nothing to choose from";
    std::string out = "Input should be ";
    for (std::size_t i = 0; i < choices.size(); ++i) {
        if (i > 0) out += i + 1 == choices.size() ? " or " : ", ";
        out += fmt::format("'{}'", choices[i].value);
    }
    return out;
}

std::optional<std::int64_t> parse_int(std::string_view text) {
    auto first = text.find_first_not_of(" \t\n\r");
    if (first == std::string_view::npos) return std::nullopt;
    text = text.substr(first, text.find_last_not_of(" \t\n\r") - first + 1);
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    std::int64_t out = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
    return out;
}

// pydantic's lax boolean strings.
std::optional<bool> parse_bool(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    static const std::set<std::string> yes{"1", "on", "t", "true", "y", "yes"};
    static const std::set<std::string> no{"0", "f", "false", "n", "no", "off"};
    if (yes.contains(text)) return true;
    if (no.contains(text)) return false;
    return std::nullopt;
}

// 8-4-4-4-12 hex digits, or 32 without hyphens; the canonical lower-case form.
std::optional<std::string> parse_uuid(const std::string& text) {
    std::string hex;
    const bool hyphenated = text.size() == 36;
    if (!hyphenated && text.size() != 32) return std::nullopt;
    for (std::size_t i = 0; i < text.size(); ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        if (hyphenated && (i == 8 || i == 13 || i == 18 || i == 23)) {
            if (c != '-') return std::nullopt;
            continue;
        }
        if (!std::isxdigit(c)) return std::nullopt;
        hex += static_cast<char>(std::tolower(c));
    }
    return fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4),
                       hex.substr(16, 4), hex.substr(20));
}

// One scalar value of kind `k`; the constraints of `f` apply when `f` itself has that kind (a
// list's min and max count items, not item values).
std::variant<json, value_error> check_scalar(const form_field& f, kind k, const json& in) {
    switch (k) {
        case kind::string: {
            if (!in.is_string())
                return value_error{"Input should be a valid string", "string_type"};
            const auto& s = in.get_ref<const std::string&>();
            if (f.k == kind::string) {
                auto n = char_count(s);
                if (f.min && n < *f.min) {
                    return value_error{
                        fmt::format("String should have at least {}", plural(*f.min, "character")),
                        "string_too_short"};
                }
                if (f.max && n > *f.max) {
                    return value_error{
                        fmt::format("String should have at most {}", plural(*f.max, "character")),
                        "string_too_long"};
                }
            }
            // pydantic searches for the pattern; it matches anywhere unless anchored.
            if (!f.pattern.empty() && !std::regex_search(s, std::regex(f.pattern))) {
                return value_error{fmt::format("String should match pattern '{}'", f.pattern),
                                   "string_pattern_mismatch"};
            }
            return in;
        }
        case kind::integer: {
            constexpr auto int_max = std::numeric_limits<std::int64_t>::max();
            std::optional<std::int64_t> n;
            if (in.is_number_unsigned() && in.get<std::uint64_t>() > std::uint64_t{int_max}) {
                return value_error{"Input should be a valid integer", "int_type"};
            } else if (in.is_number_integer()) {
                n = in.get<std::int64_t>();
            } else if (in.is_number_float()) {
                double d = in.get<double>();
                if (std::trunc(d) != d) {
                    return value_error{
                        "Input should be a valid integer, got a number with a fractional part",
                        "int_from_float"};
                }
                // Outside ±2^63 (or not finite) a float is no int64; pydantic's own bound
                // differs but its message is the same.
                if (!(d >= -9.2e18 && d <= 9.2e18)) {
                    return value_error{"Input should be a valid integer", "int_type"};
                }
                n = static_cast<std::int64_t>(d);
            } else if (in.is_string()) {
                n = parse_int(in.get_ref<const std::string&>());
                if (!n) {
                    return value_error{
                        "Input should be a valid integer, unable to parse string as an integer",
                        "int_parsing"};
                }
            } else {
                return value_error{"Input should be a valid integer", "int_type"};
            }
            if (f.k == kind::integer) {
                if (f.min && *n < *f.min) {
                    return value_error{
                        fmt::format("Input should be greater than or equal to {}", *f.min),
                        "greater_than_equal"};
                }
                if (f.max && *n > *f.max) {
                    return value_error{
                        fmt::format("Input should be less than or equal to {}", *f.max),
                        "less_than_equal"};
                }
            }
            return json(*n);
        }
        case kind::boolean: {
            if (in.is_boolean()) return in;
            std::optional<bool> b;
            if (in.is_string()) b = parse_bool(in.get<std::string>());
            if (in.is_number_integer() && (in == 0 || in == 1)) b = in == 1;
            if (b) return json(*b);
            if (in.is_string() || in.is_number()) {
                return value_error{"Input should be a valid boolean, unable to interpret input",
                                   "bool_parsing"};
            }
            return value_error{"Input should be a valid boolean", "bool_type"};
        }
        case kind::uuid: {
            if (!in.is_string()) {
                return value_error{"UUID input should be a string, bytes or UUID object",
                                   "uuid_type"};
            }
            if (auto id = parse_uuid(in.get<std::string>())) return json(*id);
            return value_error{"Input should be a valid UUID", "uuid_parsing"};
        }
        case kind::choice: {
            auto it = std::find_if(f.choices.begin(), f.choices.end(), [&](const auto& c) {
                return in.is_string() && in.get_ref<const std::string&>() == c.value;
            });
            if (it == f.choices.end()) return value_error{choices_message(f.choices), "enum"};
            return in;
        }
        case kind::list:
        case kind::label:
        case kind::divider:
            break;
    }
    return in;
}

// A submitted value for field `f` (present in the input): the validated value, or errors.
json check_value(const form_field& f, const json& in, std::vector<field_error>& errors) {
    if (in.is_null() && f.optional) return nullptr;
    if (f.k != kind::list) {
        auto r = check_scalar(f, f.k, in);
        if (auto* e = std::get_if<value_error>(&r)) {
            errors.push_back({f.name, e->message, e->type});
            return nullptr;
        }
        return std::get<json>(r);
    }
    if (!in.is_array()) {
        errors.push_back({f.name, "Input should be a valid list", "list_type"});
        return nullptr;
    }
    json out = json::array();
    const kind item = f.item_kind.value_or(kind::string);
    for (std::size_t i = 0; i < in.size(); ++i) {
        auto r = check_scalar(f, item, in[i]);
        if (auto* e = std::get_if<value_error>(&r)) {
            errors.push_back({fmt::format("{}.{}", f.name, i), e->message, e->type});
        } else {
            out.push_back(std::get<json>(r));
        }
    }
    auto n = static_cast<std::int64_t>(in.size());
    if (f.min && n < *f.min) {
        errors.push_back({f.name,
                          fmt::format("List should have at least {} after validation, not {}",
                                      plural(*f.min, "item"), n),
                          "too_short"});
    } else if (f.max && n > *f.max) {
        errors.push_back({f.name,
                          fmt::format("List should have at most {} after validation, not {}",
                                      plural(*f.max, "item"), n),
                          "too_long"});
    } else if (item == kind::choice &&
               std::set<json>(out.begin(), out.end()).size() != out.size()) {
        // pydantic-forms' choice_list is a unique list.
        errors.push_back({f.name, "List must be unique", "unique_list"});
    }
    return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

const json* lookup_path(const json& root, std::string_view path) {
    if (path.empty()) return nullptr;
    const json* at = &root;
    while (true) {
        auto dot = path.find('.');
        std::string_view key = path.substr(0, dot);
        if (at->is_object()) {
            auto it = at->find(std::string(key));
            if (it == at->end()) return nullptr;
            at = &*it;
        } else if (at->is_array()) {
            std::size_t index = 0;
            auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), index);
            if (key.empty() || ec != std::errc() || end != key.data() + key.size() ||
                index >= at->size()) {
                return nullptr;
            }
            at = &(*at)[index];
        } else {
            return nullptr;
        }
        if (dot == std::string_view::npos) return at;
        path.remove_prefix(dot + 1);
    }
}

std::string interpolate(std::string_view text, const json& context) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        bool doubled = i + 1 < text.size() && text[i + 1] == c;
        if ((c == '{' || c == '}') && doubled) {
            out += c;
            ++i;
        } else if (c == '{') {
            auto close = text.find('}', i + 1);
            if (close == std::string_view::npos) {
                throw form_error(fmt::format("unclosed '{{' in template '{}'", text));
            }
            std::string_view path = text.substr(i + 1, close - i - 1);
            const json* value = lookup_path(context, path);
            if (!value) throw form_error(fmt::format("unknown path '{}' in template", path));
            if (value->is_string()) {
                out += value->get_ref<const std::string&>();
            } else if (value->is_null()) {
                out += "None";  // as Python's f-string writes it
            } else {
                out += value->dump();
            }
            i = close;
        } else {
            out += c;  // a lone `}` is kept as written
        }
    }
    return out;
}

form_field compile_field(const ast::field_decl& decl, std::vector<field_problem>& problems) {
    return field_compiler(decl, problems).compile();
}

form_template compile_form(const ast::form_decl& form) {
    form_template out;
    out.name = form.name;
    for (const auto& prop : form.properties)
        if (prop.key == "title" && !prop.values.empty()) {
            out.title = compile_value(prop.values.front());
            break;
        }
    std::vector<field_problem> problems;
    out.fields.reserve(form.fields.size());
    for (const auto& decl : form.fields) {
        auto& t = out.fields.emplace_back();
        t.field = compile_field(decl, problems);
        if (!problems.empty()) {
            out.problem = fmt::format("form '{}' field '{}': {}", form.name, decl.name,
                                      problems.front().message);
            break;
        }
        if (decl.default_value) t.default_value = compile_value(*decl.default_value);
        const auto& type = decl.type.name == "list" ? decl.type.args.front() : decl.type;
        if (type.name == "subscription") {
            t.subscription_type = type.args.front().name;
            for (auto it = type.args.begin() + 1; it != type.args.end(); ++it)
                t.subscription_lifecycles.push_back(it->name);
        }
    }
    return out;
}

form_page build_page(const form_template& form, const json& context,
                     const subscription_choices& choices) {
    return page_builder(form, context, choices).build();
}

form_page build_page(const ast::form_decl& form, const json& context,
                     const subscription_choices& choices) {
    return build_page(compile_form(form), context, choices);
}

form_page product_page(const std::vector<choice_option>& products) {
    form_field product;
    product.name = "product";
    product.title = "Product";
    product.k = kind::choice;
    product.choices = products;
    product.choice_format = "productId";
    return form_page{.title = "unknown", .fields = {product}, .has_next = true};
}

form_page subscription_page() {
    form_field id;
    id.name = "subscription_id";
    id.title = "Subscription Id";
    id.k = kind::uuid;
    form_field version;
    version.name = "version";
    version.title = "Version";
    version.k = kind::integer;
    version.optional = true;
    version.default_value = nullptr;
    return form_page{.title = "unknown", .fields = {id, version}, .has_next = true};
}

json page_schema(const form_page& page) {
    json properties = json::object();
    json required = json::array();
    for (const auto& f : page.fields) {
        properties[f.name] = field_schema(f);
        bool display = f.k == kind::label || f.k == kind::divider;
        if (!display && !f.optional && !f.default_value) required.push_back(f.name);
    }
    json schema = {{"title", page.title},
                   {"type", "object"},
                   {"additionalProperties", false},
                   {"properties", properties}};
    if (!required.empty()) schema["required"] = required;
    return schema;
}

json page_meta(const form_page& page) {
    return {{"hasNext", page.has_next}};
}

page_result validate_page(const form_page& page, const json& input) {
    page_result result;
    result.output = json::object();
    if (!input.is_object()) {
        result.errors.push_back({"__root__", "Input should be a valid dictionary", "dict_type"});
        return result;
    }
    for (const auto& f : page.fields) {
        const json fallback = f.default_value.value_or(nullptr);
        auto it = input.find(f.name);
        if (f.k == kind::label || f.k == kind::divider) {
            result.output[f.name] = fallback;  // frozen: whatever was sent
        } else if (it == input.end()) {
            if (!f.optional && !f.default_value) {
                result.errors.push_back({f.name, "Field required", "missing"});
            }
            result.output[f.name] = fallback;
        } else if (f.readonly) {
            std::vector<field_error> ignored;
            if (check_value(f, *it, ignored) != fallback || !ignored.empty()) {
                result.errors.push_back(
                    {f.name, fmt::format("Value is read-only and must be {}", fallback.dump()),
                     "read_only"});
            }
            result.output[f.name] = fallback;
        } else {
            result.output[f.name] = check_value(f, *it, result.errors);
        }
    }
    for (const auto& item : input.items()) {
        const std::string& key = item.key();  // a plain name: lambdas capture it under clang 14 too
        bool known = std::any_of(page.fields.begin(), page.fields.end(),
                                 [&](const form_field& f) { return f.name == key; });
        if (!known)
            result.errors.push_back({key, "Extra inputs are not permitted", "extra_forbidden"});
    }
    return result;
}

json validation_errors_json(const std::vector<field_error>& errors) {
    json list = json::array();
    for (const auto& e : errors) {
        json loc = json::array();
        std::string_view rest = e.field;
        while (true) {
            auto dot = rest.find('.');
            std::string_view part = rest.substr(0, dot);
            std::int64_t index = 0;
            auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), index);
            if (!part.empty() && ec == std::errc() && end == part.data() + part.size()) {
                loc.push_back(index);
            } else {
                loc.push_back(std::string(part));
            }
            if (dot == std::string_view::npos) break;
            rest.remove_prefix(dot + 1);
        }
        list.push_back({{"loc", loc}, {"msg", e.message}, {"type", e.type}});
    }
    return {{"title", "Form not valid"},
            {"type", "FormValidationError"},
            {"status", 400},
            {"validation_errors", list}};
}

}  // namespace wfrun
