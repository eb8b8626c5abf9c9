// PEGTL actions that turn what grammar.hpp matched into the syntax tree of ast.hpp.
//
// Each node is built in its own state: `node_scope<Node>` creates a fresh node when its rule
// starts, hands it to the rules inside as their state, and only on success moves it into the
// parent through `success(node, parent)`; chain elements are built in place at the end of the
// parent's list instead (`list_node_scope`) and taken out again on failure. A rule that fails
// and is backtracked over therefore leaves nothing behind. The other actions fill in the node
// they are given from the matched text. Nothing here looks anything up; checks belong to later
// passes.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include <tao/pegtl.hpp>

#include "grammar/ast.hpp"
#include "grammar/grammar.hpp"
#include "grammar/numbers.hpp"

namespace wfrun::grammar {

// How deep parentheses, `if`, `group`, lists and type arguments may nest. The parser recurses
// once per level, so without a limit a hostile file could exhaust the stack; a deeper level is
// error E118 at its position (docs/lint-codes.md).
inline constexpr std::size_t max_nesting = 64;

// A syntax error that has a code of its own instead of E001: nesting beyond max_nesting (E118),
// a number that does not fit (E119). parse.cpp reports it under `code`.
struct coded_parse_error : p::parse_error {
    template <typename ParseInput>
    coded_parse_error(const char* c, const std::string& message, const ParseInput& in)
        : p::parse_error(message, in), code(c) {}
    const char* code;
};

// Throws E118 when one more level would nest deeper than max_nesting.
template <typename ParseInput>
void check_nesting(std::size_t depth, const ParseInput& in) {
    if (depth >= max_nesting) {
        throw coded_parse_error("E118",
                                "nesting too deep: parentheses, 'if', 'group', lists and type "
                                "arguments nest at most 64 levels",
                                in);
    }
}

// What every action may need besides the node it builds.
//
// The input does not track lines (PEGTL's lazy mode), so that reading a byte costs no more than
// moving a pointer, and backtracking restores a pointer only. Positions are counted here instead,
// from the last position asked for: the parser asks in nearly increasing order, so each byte is
// looked at about once. Lines and columns are PEGTL's: a line ends at `\n` (CRLF counts once),
// columns count bytes.
class context {
  public:
    context(std::shared_ptr<const std::string> file_name, ast::file* file, const char* begin)
        : file_name_(std::move(file_name)),
          file_(file),
          begin_(begin),
          comments_end_(begin),
          cursor_(begin),
          line_start_(begin) {}

    std::size_t depth = 0;  // current nesting, see max_nesting

    // The position of `p`, a pointer into the source.
    ast::position at(const char* p) {
        if (p >= cursor_) {
            while (cursor_ != p) {
                const void* nl = std::memchr(cursor_, '\n', static_cast<std::size_t>(p - cursor_));
                if (nl == nullptr) {
                    break;
                }
                ++line_;
                cursor_ = static_cast<const char*>(nl) + 1;
                line_start_ = cursor_;
            }
        } else {
            // Back over what an alternative that failed had read.
            line_ -= static_cast<std::size_t>(std::count(p, cursor_, '\n'));
            line_start_ = p;
            while (line_start_ != begin_ && line_start_[-1] != '\n') --line_start_;
        }
        cursor_ = p;
        return ast::position{file_name_, line_, static_cast<std::size_t>(p - line_start_) + 1};
    }

    // Keeps the comment that spans [begin, end) unless it was kept before: a comment may be
    // matched again after backtracking.
    void add_comment(const char* begin, const char* end) {
        if (begin < comments_end_) {
            return;
        }
        comments_end_ = end;
        file_->comments.push_back(ast::comment{at(begin), std::string(begin + 1, end)});
    }

  private:
    std::shared_ptr<const std::string> file_name_;  // shared by every position of the file
    ast::file* file_;                               // where comments go
    const char* begin_;                             // the source
    const char* comments_end_;                      // after the last comment kept
    const char* cursor_;                            // the last position asked for
    const char* line_start_;                        // the start of its line
    std::size_t line_ = 1;                          // its line
};

// Appends the UTF-8 encoding of `cp` to `out`; false for surrogates and values past U+10FFFF.
inline bool append_utf8(std::string& out, std::uint32_t cp) {
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return false;
    }
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
    return true;
}

// The contents of a string literal that the grammar accepted, quotes included, with its escapes
// decoded. Throws a parse_error at `in` for a `\u{...}` that is not a Unicode scalar value.
template <typename ActionInput>
std::string decode_string(const ActionInput& in) {
    const std::string_view literal(in.begin(), in.size());
    const std::string_view body = literal.substr(1, literal.size() - 2);
    std::string out;
    out.reserve(body.size());
    for (std::size_t i = 0; i < body.size(); ++i) {
        if (body[i] != '\\') {
            out += body[i];
            continue;
        }
        const char code = body[++i];
        switch (code) {
            case 'n':
                out += '\n';
                break;
            case 't':
                out += '\t';
                break;
            case 'u': {
                const std::size_t close = body.find('}', i);
                std::uint32_t cp = 0;
                for (std::size_t j = i + 2; j < close; ++j) {
                    const char c = body[j];
                    const std::uint32_t digit = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
                    cp = cp * 16 + digit;
                }
                if (!append_utf8(out, cp)) {
                    throw p::parse_error("invalid code point in '" +
                                             std::string(body.substr(i - 1, close - i + 2)) + "'",
                                         in);
                }
                i = close;
                break;
            }
            default:
                out += code;
                break;  // `"` and `\`
        }
    }
    return out;
}

// Counts one level of nesting for as long as it lives.
struct nesting_guard {
    std::size_t* depth;
    explicit nesting_guard(std::size_t* d) : depth(d) {
        if (depth != nullptr) {
            ++*depth;
        }
    }
    nesting_guard(const nesting_guard&) = delete;
    nesting_guard& operator=(const nesting_guard&) = delete;
    ~nesting_guard() {
        if (depth != nullptr) {
            --*depth;
        }
    }
};

// Stores the matched text in a member of the node being built (a name, a key, an operator).
template <auto Member>
struct text_into {
    template <typename ActionInput, typename Node>
    static void apply(const ActionInput& in, Node& node, context& /*unused*/) {
        node.*Member = in.string();
    }
};

// Builds one node of type `Node` for the rule it is attached to (see the top of this file).
// With `Nests`, the node counts towards max_nesting.
template <typename Node, bool Nests = false>
struct node_scope : p::maybe_nothing {
    template <typename Rule, p::apply_mode A, p::rewind_mode M, template <typename...> class Action,
              template <typename...> class Control, typename ParseInput, typename Parent>
    [[nodiscard]] static bool match(ParseInput& in, Parent& parent, context& ctx) {
        if constexpr (Nests) {
            check_nesting(ctx.depth, in);
        }
        const nesting_guard guard(Nests ? &ctx.depth : nullptr);
        Node node;
        node.pos = ctx.at(in.iterator());
        if (!p::match<Rule, A, M, Action, Control>(in, node, ctx)) {
            return false;
        }
        if constexpr (A == p::apply_mode::action) {
            Action<Rule>::success(std::move(node), parent);
        }
        return true;
    }
};

// Like node_scope, but builds the node in place, at the end of the list it goes into (the
// action's `list(parent)`), and takes it out again when the rule fails. For chain elements:
// chains are long, and building each element aside and moving it in costs as much as parsing it.
template <typename Node, bool Nests = false>
struct list_node_scope : p::maybe_nothing {
    template <typename Rule, p::apply_mode A, p::rewind_mode M, template <typename...> class Action,
              template <typename...> class Control, typename ParseInput, typename Parent>
    [[nodiscard]] static bool match(ParseInput& in, Parent& parent, context& ctx) {
        if constexpr (Nests) {
            check_nesting(ctx.depth, in);
        }
        const nesting_guard guard(Nests ? &ctx.depth : nullptr);
        auto& list = Action<Rule>::list(parent);
        Node& node = list.emplace_back();
        node.pos = ctx.at(in.iterator());
        const bool matched = p::match<Rule, A, M, Action, Control>(in, node, ctx);
        if (!matched || A != p::apply_mode::action) {
            list.pop_back();
        }
        return matched;
    }
};

template <typename Rule>
struct action : p::nothing<Rule> {};

// ---------------------------------------------------------------------------------------------
// Comments

template <>
struct action<comment> {
    template <typename ActionInput, typename Node>
    static void apply(const ActionInput& in, Node& /*unused*/, context& ctx) {
        ctx.add_comment(in.begin(), in.end());
    }
};

// ---------------------------------------------------------------------------------------------
// Values

// Every role a value plays is a node of its own; the role says where it goes.
using value_scope = node_scope<ast::value, true>;

template <>
struct action<string_literal> {
    template <typename ActionInput>
    static void apply(const ActionInput& in, ast::value& v, context& /*unused*/) {
        v.k = ast::value::kind::string;
        v.source = in.string();
        v.text = decode_string(in);
    }
};

template <>
struct action<integer_literal> {
    template <typename ActionInput>
    static void apply(const ActionInput& in, ast::value& v, context& /*unused*/) {
        v.k = ast::value::kind::integer;
        v.source = in.string();
        const auto n = parse_int64(v.source);
        if (!n) {
            throw coded_parse_error("E119",
                                    "integer out of range: " + v.source +
                                        " does not fit a 64-bit integer "
                                        "(-9223372036854775808 to 9223372036854775807)",
                                    in);
        }
        v.number = *n;
    }
};

template <>
struct action<duration_literal> {
    template <typename ActionInput>
    static void apply(const ActionInput& in, ast::value& v, context& /*unused*/) {
        v.k = ast::value::kind::duration;
        v.source = in.string();
        const auto ms = duration_to_ms(v.source);
        if (!ms) {
            throw coded_parse_error("E119",
                                    "duration out of range: " + v.source +
                                        " is more milliseconds than a 64-bit integer holds",
                                    in);
        }
        v.number = *ms;
    }
};

template <>
struct action<boolean_literal> {
    template <typename ActionInput>
    static void apply(const ActionInput& in, ast::value& v, context& /*unused*/) {
        v.k = ast::value::kind::boolean;
        v.source = in.string();
        v.number = v.source == "true" ? 1 : 0;
    }
};

template <>
struct action<path_literal> {
    template <typename ActionInput>
    static void apply(const ActionInput& in, ast::value& v, context& /*unused*/) {
        v.source = in.string();
        v.text = v.source;
        v.k =
            v.text.find('.') == std::string::npos ? ast::value::kind::name : ast::value::kind::path;
    }
};

template <>
struct action<list_literal> {
    template <typename ActionInput>
    static void apply(const ActionInput& in, ast::value& v, context& /*unused*/) {
        v.k = ast::value::kind::list;
        v.source = in.string();
    }
};

template <>
struct action<list_item> : value_scope {
    static void success(ast::value&& item, ast::value& list) {
        list.items.push_back(std::move(item));
    }
};
template <>
struct action<next_list_item> : action<list_item> {};

// ---------------------------------------------------------------------------------------------
// Types

template <>
struct action<field_type> : node_scope<ast::type_ref, true> {
    static void success(ast::type_ref&& t, ast::field_decl& f) { f.type = std::move(t); }
};

template <>
struct action<type_arg_type> : node_scope<ast::type_ref, true> {
    static void success(ast::type_ref&& t, ast::type_ref& outer) {
        outer.args.push_back(std::move(t));
    }
};

template <>
struct action<type_name> : text_into<&ast::type_ref::name> {};

template <>
struct action<type_choice> {
    template <typename ActionInput>
    static void apply(const ActionInput& in, ast::type_ref& t, context& /*unused*/) {
        t.choices.push_back(decode_string(in));
    }
};

template <>
struct action<optional_mark> {
    template <typename ActionInput>
    static void apply(const ActionInput& /*unused*/, ast::type_ref& t, context& /*unused*/) {
        t.optional = true;
    }
};

// ---------------------------------------------------------------------------------------------
// Fields, modifiers, properties, fixed inputs

template <>
struct action<field> : node_scope<ast::field_decl> {
    static void success(ast::field_decl&& f, ast::block_decl& b) {
        b.fields.push_back(std::move(f));
    }
    static void success(ast::field_decl&& f, ast::product_decl& pd) {
        pd.fields.push_back(std::move(f));
    }
    static void success(ast::field_decl&& f, ast::form_decl& fd) {
        fd.fields.push_back(std::move(f));
    }
};

template <>
struct action<field_name> : text_into<&ast::field_decl::name> {};

template <>
struct action<default_value> : value_scope {
    static void success(ast::value&& v, ast::field_decl& f) { f.default_value = std::move(v); }
};

template <>
struct action<field_description> : value_scope {
    static void success(ast::value&& v, ast::field_decl& f) { f.description = std::move(v); }
};

template <>
struct action<modifier> : node_scope<ast::modifier> {
    static void success(ast::modifier&& m, ast::field_decl& f) {
        f.modifiers.push_back(std::move(m));
    }
};

// The keyword names the modifier.
struct modifier_keyword_action {
    template <typename ActionInput>
    static void apply(const ActionInput& in, ast::modifier& m, context& /*unused*/) {
        m.name = in.string();
    }
};
template <>
struct action<kw_required> : modifier_keyword_action {};
template <>
struct action<kw_readonly> : modifier_keyword_action {};
template <>
struct action<kw_min> : modifier_keyword_action {};
template <>
struct action<kw_max> : modifier_keyword_action {};
template <>
struct action<kw_pattern> : modifier_keyword_action {};

// The argument of a modifier.
struct modifier_arg_action : value_scope {
    static void success(ast::value&& v, ast::modifier& m) { m.arg = std::move(v); }
};
template <>
struct action<lifecycle_arg> : modifier_arg_action {};
template <>
struct action<bound_arg> : modifier_arg_action {};
template <>
struct action<pattern_arg> : modifier_arg_action {};

template <>
struct action<property> : node_scope<ast::property> {
    static void success(ast::property&& pr, ast::block_decl& b) {
        b.properties.push_back(std::move(pr));
    }
    static void success(ast::property&& pr, ast::product_decl& pd) {
        pd.properties.push_back(std::move(pr));
    }
    static void success(ast::property&& pr, ast::form_decl& f) {
        f.properties.push_back(std::move(pr));
    }
    static void success(ast::property&& pr, ast::workflow_decl& w) {
        w.properties.push_back(std::move(pr));
    }
};

template <>
struct action<property_key> : text_into<&ast::property::key> {};

template <>
struct action<property_value> : value_scope {
    static void success(ast::value&& v, ast::property& pr) { pr.values.push_back(std::move(v)); }
};
template <>
struct action<next_property_value> : action<property_value> {};

template <>
struct action<fixed> : node_scope<ast::fixed_input> {
    static void success(ast::fixed_input&& f, ast::product_decl& pd) {
        pd.fixed.push_back(std::move(f));
    }
};

template <>
struct action<fixed_name> : text_into<&ast::fixed_input::name> {};

template <>
struct action<fixed_value> : value_scope {
    static void success(ast::value&& v, ast::fixed_input& f) { f.val = std::move(v); }
};

// ---------------------------------------------------------------------------------------------
// Chains

template <>
struct action<element> : list_node_scope<ast::element, true> {
    static ast::chain& list(ast::workflow_decl& w) { return w.steps; }
    static ast::chain& list(ast::chain_decl& c) { return c.body; }
    static ast::chain& list(ast::element& outer) { return outer.body; }
};
template <>
struct action<next_element> : action<element> {};

template <>
struct action<step_name> {
    template <typename ActionInput>
    static void apply(const ActionInput& in, ast::element& e, context& /*unused*/) {
        e.k = ast::element::kind::step;
        e.name = in.string();
    }
};

template <>
struct action<call_open> {
    template <typename ActionInput>
    static void apply(const ActionInput& /*unused*/, ast::element& e, context& /*unused*/) {
        e.has_call = true;
    }
};

template <>
struct action<input_form> {
    template <typename ActionInput>
    static void apply(const ActionInput& in, ast::element& e, context& /*unused*/) {
        e.k = ast::element::kind::input;
        e.name = in.string();
    }
};

template <>
struct action<kw_if> {
    template <typename ActionInput>
    static void apply(const ActionInput& /*unused*/, ast::element& e, context& /*unused*/) {
        e.k = ast::element::kind::conditional;
    }
};

template <>
struct action<group_title> {
    template <typename ActionInput>
    static void apply(const ActionInput& in, ast::element& e, context& /*unused*/) {
        e.k = ast::element::kind::step_group;
        e.name = decode_string(in);
    }
};

template <>
struct action<paren_open> {
    template <typename ActionInput>
    static void apply(const ActionInput& /*unused*/, ast::element& e, context& /*unused*/) {
        e.k = ast::element::kind::group;
    }
};

template <>
struct action<condition> : node_scope<ast::condition> {
    static void success(ast::condition&& c, ast::element& e) { e.cond = std::move(c); }
};

template <>
struct action<kw_not> {
    template <typename ActionInput>
    static void apply(const ActionInput& /*unused*/, ast::condition& c, context& /*unused*/) {
        c.negated = true;
    }
};

template <>
struct action<condition_path> : text_into<&ast::condition::path> {};

template <>
struct action<condition_op> : text_into<&ast::condition::op> {};

template <>
struct action<condition_operand> : value_scope {
    static void success(ast::value&& v, ast::condition& c) { c.operand = std::move(v); }
};

template <>
struct action<option> : node_scope<ast::option> {
    static void success(ast::option&& o, ast::element& e) { e.options.push_back(std::move(o)); }
};

template <>
struct action<option_name> : text_into<&ast::option::name> {};

template <>
struct action<argument> : node_scope<ast::argument> {
    static void success(ast::argument&& a, ast::element& e) { e.args.push_back(std::move(a)); }
    static void success(ast::argument&& a, ast::option& o) { o.args.push_back(std::move(a)); }
};
template <>
struct action<next_argument> : action<argument> {};

template <>
struct action<argument_key> : text_into<&ast::argument::key> {};

template <>
struct action<argument_value> : value_scope {
    static void success(ast::value&& v, ast::argument& a) { a.val = std::move(v); }
};

// ---------------------------------------------------------------------------------------------
// Declarations

template <>
struct action<block_decl> : node_scope<ast::block_decl> {
    static void success(ast::block_decl&& b, ast::file& f) { f.blocks.push_back(std::move(b)); }
};

template <>
struct action<block_name> : text_into<&ast::block_decl::name> {};

template <>
struct action<product_decl> : node_scope<ast::product_decl> {
    static void success(ast::product_decl&& pd, ast::file& f) {
        f.products.push_back(std::move(pd));
    }
};

template <>
struct action<product_name> {
    template <typename ActionInput>
    static void apply(const ActionInput& in, ast::product_decl& pd, context& /*unused*/) {
        pd.name = decode_string(in);
    }
};

template <>
struct action<form_decl> : node_scope<ast::form_decl> {
    static void success(ast::form_decl&& fd, ast::file& f) { f.forms.push_back(std::move(fd)); }
};

template <>
struct action<form_name> : text_into<&ast::form_decl::name> {};

template <>
struct action<workflow_decl> : node_scope<ast::workflow_decl> {
    static void success(ast::workflow_decl&& w, ast::file& f) {
        f.workflows.push_back(std::move(w));
    }
};

template <>
struct action<workflow_name> : text_into<&ast::workflow_decl::name> {};

template <>
struct action<kw_steps> {
    // A workflow has one chain of steps; a second `steps` would have to be merged or dropped.
    template <typename ActionInput>
    static void apply(const ActionInput& in, ast::workflow_decl& w, context& ctx) {
        if (w.steps_pos.line != 0) {
            throw p::parse_error("'steps' written twice in workflow '" + w.name + "'", in);
        }
        w.steps_pos = ctx.at(in.iterator());
    }
};

template <>
struct action<chain_decl> : node_scope<ast::chain_decl> {
    static void success(ast::chain_decl&& c, ast::file& f) { f.chains.push_back(std::move(c)); }
};

template <>
struct action<chain_name> : text_into<&ast::chain_decl::name> {};

}  // namespace wfrun::grammar
