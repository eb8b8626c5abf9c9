// What a syntax error says: one message per rule that the grammar requires with `must<>`, and the
// control class that raises them.
//
// The grammar itself carries no text. When a required rule fails, `control<Rule>::raise` throws a
// `parse_error` with `error_message<Rule>`, where `{name}` becomes the name (or key) of the node
// being built and `{next}` the character found instead. A `must<>` on a rule without a message
// does not compile, so every syntax error has a written message.
#pragma once

#include <string>
#include <string_view>

#include <fmt/format.h>
#include <tao/pegtl.hpp>

#include "grammar/grammar.hpp"

namespace wfrun::grammar {

template <typename Rule>
inline constexpr const char* error_message = nullptr;

// clang-format off
template <> inline constexpr auto error_message<end_of_file> = "expected a declaration (block, product, form, workflow or chain)";

template <> inline constexpr auto error_message<string_close> = "unterminated string";
template <> inline constexpr auto error_message<escape_code> = "unknown escape sequence '\\{next}'";
template <> inline constexpr auto error_message<unicode_open> = "expected '{' after '\\u'";
template <> inline constexpr auto error_message<unicode_digits> = "expected 1 to 6 hex digits in '\\u{...}'";
template <> inline constexpr auto error_message<unicode_close> = "expected '}' to close '\\u{...}'";

template <> inline constexpr auto error_message<next_list_item> = "expected a value after ','";
template <> inline constexpr auto error_message<list_close> = "expected ']' to close the list";

template <> inline constexpr auto error_message<type_arg> = "expected a type or a string as type argument";
template <> inline constexpr auto error_message<type_close> = "expected ')' to close the arguments of type '{name}'";
template <> inline constexpr auto error_message<field_type> = "expected a type after ':'";
template <> inline constexpr auto error_message<default_value> = "expected a value after '='";
template <> inline constexpr auto error_message<lifecycle_arg> = "expected a lifecycle after 'required'";
template <> inline constexpr auto error_message<bound_arg> = "expected an integer after '{name}'";
template <> inline constexpr auto error_message<pattern_arg> = "expected a string after 'pattern'";
template <> inline constexpr auto error_message<property_value> = "expected a value for '{name}'";
template <> inline constexpr auto error_message<next_property_value> = "expected a value after ','";
template <> inline constexpr auto error_message<fixed_equals> = "expected '=' after fixed input '{name}'";
template <> inline constexpr auto error_message<fixed_value> = "expected a value after '='";

template <> inline constexpr auto error_message<argument_value> = "expected a value after '{name}:'";
template <> inline constexpr auto error_message<next_argument> = "expected an argument after ','";
template <> inline constexpr auto error_message<input_form> = "expected a form name in 'input(...)'";
template <> inline constexpr auto error_message<input_close> = "expected ')' to close 'input(...)'";
template <> inline constexpr auto error_message<condition> = "expected a condition after 'if'";
template <> inline constexpr auto error_message<condition_operand> = "expected a value to compare with";
template <> inline constexpr auto error_message<if_open> = "expected '{' after the condition of 'if'";
template <> inline constexpr auto error_message<if_close> = "expected '}' to close 'if'";
template <> inline constexpr auto error_message<group_open> = "expected '{' after group \"{name}\"";
template <> inline constexpr auto error_message<group_close> = "expected '}' to close group \"{name}\"";
template <> inline constexpr auto error_message<paren_close> = "expected ')' to close '('";
template <> inline constexpr auto error_message<call_close> = "expected ')' to close the arguments of '{name}'";
template <> inline constexpr auto error_message<option_close> = "expected ')' to close '{name}(...)'";
template <> inline constexpr auto error_message<next_element> = "expected a chain element after '>>'";
template <> inline constexpr auto error_message<chain> = "expected a chain element";

template <> inline constexpr auto error_message<block_name> = "expected a block name after 'block'";
template <> inline constexpr auto error_message<block_open> = "expected '{' after block '{name}'";
template <> inline constexpr auto error_message<block_close> = "expected '}' to close block '{name}'";
template <> inline constexpr auto error_message<product_name> = "expected the product's display name (a string) after 'product'";
template <> inline constexpr auto error_message<product_open> = "expected '{' after product \"{name}\"";
template <> inline constexpr auto error_message<product_close> = "expected '}' to close product \"{name}\"";
template <> inline constexpr auto error_message<form_name> = "expected a form name after 'form'";
template <> inline constexpr auto error_message<form_open> = "expected '{' after form '{name}'";
template <> inline constexpr auto error_message<form_close> = "expected '}' to close form '{name}'";
template <> inline constexpr auto error_message<workflow_name> = "expected a workflow name after 'workflow'";
template <> inline constexpr auto error_message<workflow_open> = "expected '{' after workflow '{name}'";
template <> inline constexpr auto error_message<workflow_close> = "expected '}' to close workflow '{name}'";
template <> inline constexpr auto error_message<chain_name> = "expected a chain name after 'chain'";
template <> inline constexpr auto error_message<chain_equals> = "expected '=' after chain '{name}'";
// clang-format on

// The name of the node being built, for `{name}`.
template <typename Node>
std::string node_label(const Node& node) {
    if constexpr (requires { node.name; }) {
        return node.name;
    } else if constexpr (requires { node.key; }) {
        return node.key;
    } else {
        return {};
    }
}

// The character at the current input position, for `{next}`: printable ASCII as is, other bytes
// as `\xNN`, whole UTF-8 sequences as written.
template <typename ParseInput>
std::string next_char(const ParseInput& in) {
    if (in.empty()) {
        return {};
    }
    const auto first = static_cast<unsigned char>(in.peek_char());
    if (first >= 0x20 && first < 0x7F) {
        return std::string(1, static_cast<char>(first));
    }
    std::size_t length = first >= 0xF0 ? 4 : first >= 0xE0 ? 3 : first >= 0xC0 ? 2 : 0;
    if (length == 0 || length > in.size(length)) {
        return fmt::format("\\x{:02x}", first);
    }
    for (std::size_t i = 1; i < length; ++i) {
        if ((static_cast<unsigned char>(in.peek_char(i)) & 0xC0) != 0x80) {
            return fmt::format("\\x{:02x}", first);
        }
    }
    return std::string(in.current(), length);
}

// `error_message<Rule>` with `{name}` and `{next}` filled in.
template <typename Rule, typename ParseInput, typename Node, typename... Rest>
std::string expand_message(const ParseInput& in, const Node& node, const Rest&... /*unused*/) {
    std::string out;
    for (std::string_view m = error_message<Rule>; !m.empty();) {
        if (m.starts_with("{name}")) {
            out += node_label(node);
            m.remove_prefix(6);
        } else if (m.starts_with("{next}")) {
            out += next_char(in);
            m.remove_prefix(6);
        } else {
            out += m.front();
            m.remove_prefix(1);
        }
    }
    return out;
}

// PEGTL's normal control, but failures of a required rule say what was expected.
template <typename Rule>
struct control : p::normal<Rule> {
    template <typename ParseInput, typename... States>
    [[noreturn]] static void raise(const ParseInput& in, States&&... st) {
        static_assert(error_message<Rule> != nullptr,
                      "every rule under must<> needs an error_message");
        throw p::parse_error(expand_message<Rule>(in, st...), in);
    }
};

}  // namespace wfrun::grammar
