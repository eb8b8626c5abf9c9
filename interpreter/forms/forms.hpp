// Form pages: from a `form` declaration and its context to a page with its defaults evaluated,
// the page's JSON schema in the pydantic-forms shape (so an orchestrator-core UI can render it),
// and validation of a submitted page. Forms never touch the store: the choices of a
// `subscription(...)` field come from a callback.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <wfrun/step.hpp>

#include "grammar/ast.hpp"

namespace wfrun {

struct choice_option {
    std::string value;
    std::string label;
};

// The subscriptions a `subscription(ProductType, lifecycle...)` field offers.
using subscription_choices = std::function<std::vector<choice_option>(
    const std::string& product_type, const std::vector<std::string>& lifecycles)>;

// One field of a page, with its type resolved and its default evaluated.
struct form_field {
    enum class kind { string, integer, boolean, choice, uuid, list, label, divider };
    std::string name;
    std::string title;  // "Group Name" from group_name
    kind k = kind::string;
    bool optional = false;  // `T?`: may be missing or null
    bool readonly = false;
    std::optional<json> default_value;
    std::vector<choice_option> choices;  // choice and subscription fields (and list items)
    std::string choice_format;           // JSON schema format of a choice, e.g. "productId"
    std::string enum_title;              // schema title of the choice enum, e.g. "UserGroupEnum"
    std::optional<form_field::kind> item_kind;  // list(T): the item type
    std::optional<std::int64_t> min, max;
    std::string pattern;
};

struct form_page {
    std::string title = "unknown";
    std::vector<form_field> fields;
    bool has_next = true;  // meta.hasNext
};

// A field error as pydantic reports it: loc is the field name (or "__root__").
struct field_error {
    std::string field;
    std::string message;
    std::string type;  // missing, extra_forbidden, string_type, int_type, enum, ...
};

struct page_result {
    json output;  // the validated values of every field, display-only fields with their default
    std::vector<field_error> errors;
    bool ok() const { return errors.empty(); }
};

// The largest `min` or `max` of a `str` (characters) or `list(...)` (items); an `int` field's
// bounds take any 64-bit integer. Beyond it, or below 0, the modifier is E119.
inline constexpr std::int64_t max_form_length = 1'000'000'000;

// A field declaration that no page can be built from: an unknown or misused type, or a
// modifier the field's type does not take. The runtime refuses the form with `message`; the
// linter reports it under `code` (docs/lint-codes.md).
struct field_problem {
    ast::position pos;
    const char* code = "";  // E104 (type), E108 (unknown modifier), E114 ... E117, E119
    std::string message;
};

// The parts of a form field that do not depend on the context it is shown in: name, title,
// kind, optionality, a choice's options and the modifiers (`readonly`, `min`, `max`,
// `pattern`), each checked against the field's type. A subscription field's options and every
// default are left to build_page. Problems are appended to `problems`; the field is only
// usable when none were found. This is the one place that decides whether a field's
// declaration is valid: build_page calls it, and so does the linter.
form_field compile_field(const ast::field_decl& decl, std::vector<field_problem>& problems);

// A value of a form declaration, evaluated when a page is built: a literal, a template string
// (`{path}` interpolated), a path looked up in the context, or a list of these. `invalid` is a
// value that is no form default (a duration); building a page with it fails.
struct form_value {
    enum class kind { literal, text, path, list, invalid };
    kind k = kind::literal;
    json literal;                   // literal
    std::string text;               // text: the template; path: the path; invalid: as written
    std::vector<form_value> items;  // list
};

// A field as compiled: everything but the context-dependent parts, which are kept as they are
// to be evaluated (the default) or asked for (a subscription field's options).
struct field_template {
    form_field field;
    std::optional<form_value> default_value;
    std::string subscription_type;  // subscription(Type, lifecycle...) (or a list of them)
    std::vector<std::string> subscription_lifecycles;
};

// A form declaration compiled once, when the catalog is planned: what a page is built from,
// without the syntax tree. `problem` is the first problem of a field that no page can be built
// from (the linter reports them all); building a page from such a form fails with it.
struct form_template {
    std::string name;
    std::optional<form_value> title;
    std::vector<field_template> fields;
    std::string problem;
};

form_template compile_form(const ast::form_decl& form);

// A form declaration does not fit its context: a default or title names a path that does not
// exist. The message names the form, the field and the path.
class form_error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// The value at a dotted path (`subscription.user_group.group_name`), or nullptr.
const json* lookup_path(const json& root, std::string_view path);

// `{path}` replaced by the value at path (strings as is, other values as JSON); `{{` and `}}`
// are literal braces. Throws form_error for a path that does not exist.
std::string interpolate(std::string_view text, const json& context);

// The page a form declaration makes in `context` (the process state so far, with
// `subscription` for MODIFY/TERMINATE/VALIDATE workflows).
form_page build_page(const form_template& form, const json& context,
                     const subscription_choices& choices);
// The same, compiling the declaration first.
form_page build_page(const ast::form_decl& form, const json& context,
                     const subscription_choices& choices);

// The implicit first pages: a CREATE workflow's product chooser, and the subscription page of
// MODIFY, TERMINATE and VALIDATE workflows.
form_page product_page(const std::vector<choice_option>& products);
form_page subscription_page();

// {"title", "type": "object", "additionalProperties": false, "properties", "required"}
json page_schema(const form_page& page);
// {"hasNext": bool}
json page_meta(const form_page& page);

// Validates one submitted page. Unknown keys are errors; display-only fields keep their
// default whatever is sent; a readonly field keeps its default when omitted and rejects a
// different value.
page_result validate_page(const form_page& page, const json& input);

// {"title": "Form not valid", "validation_errors": [{"loc": [field], "msg", "type"}]}
json validation_errors_json(const std::vector<field_error>& errors);

}  // namespace wfrun
