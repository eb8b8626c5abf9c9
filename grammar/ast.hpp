// The syntax tree of a `.wf` file: what the parser builds and every later pass reads.
//
// The tree mirrors the source closely (properties stay key/value lists, step arguments stay
// literals) so that the resolver and the linter, not the parser, decide what is meaningful.
// Every node keeps its position; nothing here looks anything up.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace wfrun::ast {

// A place in a source file, 1-based line and column (column counts bytes).
struct position {
    std::shared_ptr<const std::string> file;  // shared by every node of one file
    std::size_t line = 0;
    std::size_t column = 0;

    const std::string& file_name() const;
};

// A literal or a name. Dotted names (`Target.TERMINATE`, `subscription.user_group.group_name`)
// are kept whole in `text` with kind `path`.
struct value {
    enum class kind { string, integer, boolean, duration, name, path, list };
    position pos;
    kind k = kind::name;
    std::string text;          // string contents (escapes decoded), the name, or "a.b.c"
    std::int64_t number = 0;   // integer value; duration in milliseconds; boolean 0 or 1
    std::vector<value> items;  // list items
    std::string source;        // the literal as written, for messages and `fmt`
};

// `str`, `int?`, `list(subscription(UserGroup, active))`, `choice("a", "b")`, `UserGroupBlock`.
struct type_ref {
    position pos;
    std::string name;
    bool optional = false;             // written with a trailing `?`
    std::vector<type_ref> args;        // list(T): one; subscription(Type, lifecycle...): names
    std::vector<std::string> choices;  // choice("a", "b")
};

// A keyword after a field's type: `required provisioning`, `readonly`, `min 1`, `pattern "x"`.
struct modifier {
    position pos;
    std::string name;
    std::optional<value> arg;
};

// `name: Type [= default] [modifiers] ["description"]` in a block, product or form.
struct field_decl {
    position pos;
    std::string name;
    type_ref type;
    std::optional<value> default_value;
    std::vector<modifier> modifiers;
    std::optional<value> description;
};

// `key value[, value...]`: `description "x"`, `tag UGB`, `target TERMINATE`, `form a, b`.
struct property {
    position pos;
    std::string key;
    std::vector<value> values;
};

// `fixed affiliation = "internal"` in a product.
struct fixed_input {
    position pos;
    std::string name;
    value val;
};

struct block_decl {
    position pos;
    std::string name;
    std::vector<property> properties;
    std::vector<field_decl> fields;
};

struct product_decl {
    position pos;
    std::string name;  // the display name, a string literal
    std::vector<property> properties;
    std::vector<fixed_input> fixed;
    std::vector<field_decl> fields;  // the root block under its field name
};

struct form_decl {
    position pos;
    std::string name;
    std::vector<property> properties;  // `title "..."`
    std::vector<field_decl> fields;
};

// One argument of a step call or option: positional (`key` empty) or named (`key: value`).
struct argument {
    position pos;
    std::string key;
    value val;
};

// `if [not] path [(== | !=) literal]`
struct condition {
    position pos;
    bool negated = false;
    std::string path;
    std::string op;                // "", "==" or "!="
    std::optional<value> operand;  // present when op is not empty
};

// A postfix option on a chain element: `retry(attempts: 3, delay: 5s)`, `timeout(1h)`.
struct option {
    position pos;
    std::string name;
    std::vector<argument> args;
};

// An optional member kept on the heap and read like std::optional: for a part that few nodes
// have and that is as big as the rest of the node. A chain holds thousands of elements, and an
// element's condition would otherwise make each of them two and a half times as large.
template <typename T>
class optional_box {
  public:
    optional_box() = default;
    optional_box(const optional_box& other)
        : value_(other.value_ ? std::make_unique<T>(*other.value_) : nullptr) {}
    optional_box(optional_box&&) noexcept = default;
    optional_box& operator=(const optional_box& other) {
        value_ = other.value_ ? std::make_unique<T>(*other.value_) : nullptr;
        return *this;
    }
    optional_box& operator=(optional_box&&) noexcept = default;
    optional_box& operator=(T value) {
        value_ = std::make_unique<T>(std::move(value));
        return *this;
    }
    ~optional_box() = default;

    bool has_value() const { return value_ != nullptr; }
    explicit operator bool() const { return has_value(); }
    const T& operator*() const { return *value_; }
    T& operator*() { return *value_; }
    const T* operator->() const { return value_.get(); }
    T* operator->() { return value_.get(); }

  private:
    std::unique_ptr<T> value_;
};

struct element;
using chain = std::vector<element>;

// One element of a chain.
struct element {
    enum class kind {
        step,         // NAME [ "(" args ")" ]: a registry step or a named chain
        input,        // input(FORM)
        conditional,  // if condition { chain }
        group,        // ( chain )
        step_group,   // group "Name" { chain }
    };
    position pos;
    kind k = kind::step;
    std::string name;              // step or chain name, form name (input), group title
    bool has_call = false;         // written with parentheses after the name
    std::vector<argument> args;    // step arguments
    optional_box<condition> cond;  // conditional only
    chain body;                    // conditional, group and step_group
    std::vector<option> options;   // retry(...), timeout(...)
};

struct chain_decl {
    position pos;
    std::string name;
    chain body;
};

struct workflow_decl {
    position pos;
    std::string name;
    std::vector<property> properties;  // description, target, product_type, form
    position steps_pos;                // where `steps` is written
    chain steps;
};

// A comment, kept so that `wfrun fmt` can put it back.
struct comment {
    position pos;
    std::string text;  // without the leading `#`
};

// One parsed file; declarations in source order within each kind.
struct file {
    std::string path;
    std::vector<block_decl> blocks;
    std::vector<product_decl> products;
    std::vector<form_decl> forms;
    std::vector<workflow_decl> workflows;
    std::vector<chain_decl> chains;
    std::vector<comment> comments;
};

// The first property named `key`, or nullptr.
const property* find_property(const std::vector<property>& props, const std::string& key);

}  // namespace wfrun::ast
