// The formatter behind `wfrun fmt`: parses a file and prints its syntax tree in the canonical
// layout (format.hpp). Declarations and their members are printed in source order, so every
// output line has an anchor, the source line it came from; comments are put back by those
// anchors: a comment on a line of its own goes before the first output line anchored after it,
// a comment at the end of a source line goes at the end of the last output line anchored on or
// before it. The source text is needed only to tell those two kinds apart, to see blank lines,
// and to find where a declaration's closing brace is.
#include "grammar/format.hpp"

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "grammar/parse.hpp"

namespace wfrun {

namespace {

constexpr std::size_t line_limit = 100;
const std::string indent_unit = "    ";

struct comment_info {
    std::size_t line = 0;
    std::size_t column = 0;
    std::string text;  // without the `#`
    bool trailing = false;
};

std::string join(const std::vector<std::string>& items, std::string_view sep) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i) out += sep;
        out += items[i];
    }
    return out;
}

std::string render_value(const ast::value& v) {
    using k = ast::value::kind;
    switch (v.k) {
        case k::string:
            return v.source.empty() ? quote_string(v.text) : v.source;
        case k::integer:
        case k::duration:
        case k::boolean:
            return v.source;
        case k::name:
        case k::path:
            return v.text;
        case k::list: {
            std::vector<std::string> items;
            for (const auto& item : v.items) items.push_back(render_value(item));
            return "[" + join(items, ", ") + "]";
        }
    }
    return v.source;
}

std::string render_type(const ast::type_ref& t) {
    std::vector<std::string> args;
    for (const auto& c : t.choices) args.push_back(quote_string(c));
    for (const auto& a : t.args) args.push_back(render_type(a));
    std::string out = t.name;
    if (!args.empty()) out += "(" + join(args, ", ") + ")";
    if (t.optional) out += "?";
    return out;
}

std::string render_args(const std::vector<ast::argument>& args) {
    std::vector<std::string> out;
    for (const auto& a : args)
        out.push_back(a.key.empty() ? render_value(a.val) : a.key + ": " + render_value(a.val));
    return join(out, ", ");
}

std::string render_condition(const ast::condition& c) {
    std::string out = (c.negated ? "not " : "") + c.path;
    if (!c.op.empty() && c.operand) out += " " + c.op + " " + render_value(*c.operand);
    return out;
}

std::string render_options(const ast::element& e) {
    std::string out;
    for (const auto& o : e.options) out += " " + o.name + "(" + render_args(o.args) + ")";
    return out;
}

std::string render_chain(const ast::chain& chain);

std::string render_element(const ast::element& e) {
    std::string core;
    switch (e.k) {
        case ast::element::kind::step:
            core = e.name;
            if (e.has_call) core += "(" + render_args(e.args) + ")";
            break;
        case ast::element::kind::input:
            core = "input(" + e.name + ")";
            break;
        case ast::element::kind::conditional:
            core = "if " + render_condition(*e.cond) + " { " + render_chain(e.body) + " }";
            break;
        case ast::element::kind::group:
            core = "(" + render_chain(e.body) + ")";
            break;
        case ast::element::kind::step_group:
            core = "group " + quote_string(e.name) + " { " + render_chain(e.body) + " }";
            break;
    }
    return core + render_options(e);
}

std::string render_chain(const ast::chain& chain) {
    std::vector<std::string> parts;
    for (const auto& e : chain) parts.push_back(render_element(e));
    return join(parts, " >> ");
}

// The last source line an element reaches, as far as its nodes tell.
std::size_t last_line(const ast::element& e) {
    std::size_t line = e.pos.line;
    for (const auto& a : e.args) line = std::max(line, a.val.pos.line);
    for (const auto& o : e.options) {
        line = std::max(line, o.pos.line);
        for (const auto& a : o.args) line = std::max(line, a.val.pos.line);
    }
    if (e.cond) line = std::max(line, e.cond->pos.line);
    for (const auto& b : e.body) line = std::max(line, last_line(b));
    return line;
}

std::size_t last_line(const ast::chain& chain) {
    std::size_t line = 0;
    for (const auto& e : chain) line = std::max(line, last_line(e));
    return line;
}

// A field without its description.
std::string render_field_head(const ast::field_decl& f, std::size_t name_width) {
    std::string out = f.name + ":";
    out += std::string(std::max(name_width + 2, out.size() + 1) - out.size(), ' ');
    out += render_type(f.type);
    if (f.default_value) out += " = " + render_value(*f.default_value);
    for (const auto& m : f.modifiers)
        out += "  " + m.name + (m.arg ? " " + render_value(*m.arg) : std::string());
    return out;
}

// A field; descriptions start in column `description_at` (relative to the field's indent).
std::string render_field(const ast::field_decl& f, std::size_t name_width,
                         std::size_t description_at) {
    std::string out = render_field_head(f, name_width);
    if (f.description) {
        out += std::string(std::max(description_at, out.size()) - out.size(), ' ');
        out += "  " + render_value(*f.description);
    }
    return out;
}

std::string render_property(const ast::property& p, std::size_t key_width) {
    std::vector<std::string> values;
    for (const auto& v : p.values) values.push_back(render_value(v));
    std::string out = p.key;
    out += std::string(std::max(key_width, out.size()) + 1 - out.size(), ' ');
    return out + join(values, ", ");
}

// One member of a declaration, in source order.
struct member {
    std::size_t line = 0, column = 0;
    const ast::property* property = nullptr;
    const ast::field_decl* field = nullptr;
    const ast::fixed_input* fixed = nullptr;
    const ast::workflow_decl* steps = nullptr;
};

std::vector<member> members(const std::vector<ast::property>& props,
                            const std::vector<ast::field_decl>& fields,
                            const std::vector<ast::fixed_input>* fixed = nullptr,
                            const ast::workflow_decl* w = nullptr) {
    std::vector<member> out;
    for (const auto& p : props)
        out.push_back({p.pos.line, p.pos.column, &p, nullptr, nullptr, nullptr});
    for (const auto& f : fields)
        out.push_back({f.pos.line, f.pos.column, nullptr, &f, nullptr, nullptr});
    if (fixed)
        for (const auto& f : *fixed)
            out.push_back({f.pos.line, f.pos.column, nullptr, nullptr, &f, nullptr});
    if (w && !w->steps.empty())
        out.push_back({w->steps_pos.line, w->steps_pos.column, nullptr, nullptr, nullptr, w});
    std::stable_sort(out.begin(), out.end(), [](const member& a, const member& b) {
        return std::tie(a.line, a.column) < std::tie(b.line, b.column);
    });
    return out;
}

class printer {
  public:
    printer(std::string_view source, const ast::file& file) : source_(source) {
        std::size_t start = 0;
        while (true) {
            line_starts_.push_back(start);
            auto nl = source.find('\n', start);
            if (nl == std::string_view::npos) break;
            start = nl + 1;
        }
        for (const auto& c : file.comments) {
            comment_info info;
            info.line = c.pos.line;
            info.column = c.pos.column;
            info.text = c.text;
            while (!info.text.empty() && (info.text.back() == ' ' || info.text.back() == '\t' ||
                                          info.text.back() == '\r'))
                info.text.pop_back();
            auto text = line_text(c.pos.line);
            auto before = text.substr(0, std::min(text.size(), c.pos.column - 1));
            info.trailing = before.find_first_not_of(" \t") != std::string_view::npos;
            comments_.push_back(std::move(info));
        }
        std::stable_sort(
            comments_.begin(), comments_.end(),
            [](const comment_info& a, const comment_info& b) { return a.line < b.line; });
    }

    std::string print(const ast::file& file) {
        struct decl {
            ast::position pos;
            int kind;
            std::size_t index;
        };
        std::vector<decl> decls;
        for (std::size_t i = 0; i < file.blocks.size(); ++i)
            decls.push_back({file.blocks[i].pos, 0, i});
        for (std::size_t i = 0; i < file.products.size(); ++i)
            decls.push_back({file.products[i].pos, 1, i});
        for (std::size_t i = 0; i < file.forms.size(); ++i)
            decls.push_back({file.forms[i].pos, 2, i});
        for (std::size_t i = 0; i < file.workflows.size(); ++i)
            decls.push_back({file.workflows[i].pos, 3, i});
        for (std::size_t i = 0; i < file.chains.size(); ++i)
            decls.push_back({file.chains[i].pos, 4, i});
        std::sort(decls.begin(), decls.end(), [](const decl& a, const decl& b) {
            return std::tie(a.pos.line, a.pos.column) < std::tie(b.pos.line, b.pos.column);
        });
        for (std::size_t i = 0; i < decls.size(); ++i) {
            const auto& d = decls[i];
            std::size_t end = i + 1 < decls.size() ? offset(decls[i + 1].pos) : source_.size();
            std::size_t close = closing_brace_line(offset(d.pos), end);
            // One-line named chains written one after another stay together.
            bool chain_run = d.kind == 4 && i > 0 && decls[i - 1].kind == 4 && !last_is("}") &&
                             !out_.empty() && out_.back().rfind("chain ", 0) == 0;
            start_declaration(d.pos.line, chain_run);
            switch (d.kind) {
                case 0:
                    print_block(file.blocks[d.index], close);
                    break;
                case 1:
                    print_product(file.products[d.index], close);
                    break;
                case 2:
                    print_form(file.forms[d.index], close);
                    break;
                case 3:
                    print_workflow(file.workflows[d.index], close);
                    break;
                default:
                    print_chain_decl(file.chains[d.index]);
                    break;
            }
        }
        flush_comments(static_cast<std::size_t>(-1), "");
        std::string text;
        for (const auto& l : out_) {
            auto trimmed = l;
            while (!trimmed.empty() && (trimmed.back() == ' ' || trimmed.back() == '\t'))
                trimmed.pop_back();
            text += trimmed + "\n";
        }
        while (text.size() >= 2 && text[text.size() - 1] == '\n' && text[text.size() - 2] == '\n')
            text.pop_back();
        if (text == "\n") text.clear();
        return text;
    }

  private:
    std::string_view source_;
    std::vector<std::size_t> line_starts_;
    std::vector<comment_info> comments_;
    std::size_t next_comment_ = 0;
    std::vector<std::string> out_;

    std::string_view line_text(std::size_t line) const {
        if (line == 0 || line > line_starts_.size()) return {};
        auto start = line_starts_[line - 1];
        auto end = line < line_starts_.size() ? line_starts_[line] - 1 : source_.size();
        return source_.substr(start, end - start);
    }

    bool blank_line(std::size_t line) const {
        if (line == 0 || line > line_starts_.size()) return false;
        return line_text(line).find_first_not_of(" \t\r") == std::string_view::npos;
    }

    std::size_t offset(const ast::position& pos) const {
        if (pos.line == 0 || pos.line > line_starts_.size()) return source_.size();
        return std::min(source_.size(), line_starts_[pos.line - 1] + pos.column - 1);
    }

    std::size_t line_of(std::size_t offset) const {
        auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
        return static_cast<std::size_t>(it - line_starts_.begin());
    }

    // The line of the last `}` outside strings and comments in [begin, end): the closing brace
    // of the declaration that starts at `begin`.
    std::size_t closing_brace_line(std::size_t begin, std::size_t end) const {
        std::size_t last = std::string_view::npos;
        bool in_string = false;
        for (std::size_t i = begin; i < end; ++i) {
            char c = source_[i];
            if (in_string) {
                if (c == '\\')
                    ++i;
                else if (c == '"' || c == '\n')
                    in_string = false;
            } else if (c == '"') {
                in_string = true;
            } else if (c == '#') {
                while (i < end && source_[i] != '\n') ++i;
            } else if (c == '}') {
                last = i;
            }
        }
        return last == std::string_view::npos ? 0 : line_of(last);
    }

    bool last_is(std::string_view what) const {
        return !out_.empty() && std::string_view(out_.back()) == what;
    }
    bool last_opens() const {
        return !out_.empty() && !out_.back().empty() &&
               (out_.back().back() == '{' || out_.back().back() == '(');
    }

    // Puts back every comment before source line `anchor`.
    void flush_comments(std::size_t anchor, const std::string& indent) {
        while (next_comment_ < comments_.size() && comments_[next_comment_].line < anchor) {
            const auto& c = comments_[next_comment_++];
            if (c.trailing && !out_.empty() && !out_.back().empty()) {
                out_.back() += "  #" + c.text;
                continue;
            }
            if (!out_.empty() && !out_.back().empty() && !last_opens() &&
                (blank_line(c.line - 1) || (indent.empty() && last_is("}"))))
                out_.emplace_back();
            out_.push_back(indent + "#" + c.text);
        }
    }

    void line(const std::string& indent, const std::string& text, std::size_t anchor) {
        flush_comments(anchor, indent);
        out_.push_back(indent + text);
    }

    // A line written out in full; comments before it get `comment_indent`.
    void line_at(const std::string& comment_indent, std::string text, std::size_t anchor) {
        flush_comments(anchor, comment_indent);
        out_.push_back(std::move(text));
    }

    void start_declaration(std::size_t anchor, bool chain_run) {
        flush_comments(anchor, "");
        if (out_.empty() || out_.back().empty()) return;
        if (blank_line(anchor - 1) || last_is("}") || (out_.back()[0] != '#' && !chain_run))
            out_.emplace_back();
    }

    void start_member(std::size_t anchor, const std::string& indent) {
        flush_comments(anchor, indent);
        if (blank_line(anchor - 1) && !out_.empty() && !out_.back().empty() && !last_opens())
            out_.emplace_back();
    }

    void close(std::size_t close_line, const std::string& indent, const std::string& text) {
        if (close_line) flush_comments(close_line, indent + indent_unit);
        out_.push_back(indent + text);
    }

    void print_members(const std::vector<member>& ms, std::size_t key_width,
                       std::size_t name_width) {
        std::size_t description_at = 0;
        for (const auto& m : ms)
            if (m.field && m.field->description)
                description_at =
                    std::max(description_at, render_field_head(*m.field, name_width).size());
        for (const auto& m : ms) {
            start_member(m.line, indent_unit);
            if (m.property) {
                line(indent_unit, render_property(*m.property, key_width), m.line);
            } else if (m.field) {
                line(indent_unit, render_field(*m.field, name_width, description_at), m.line);
            } else if (m.fixed) {
                line(indent_unit, "fixed " + m.fixed->name + " = " + render_value(m.fixed->val),
                     m.line);
            } else if (m.steps) {
                print_chain(m.steps->steps, indent_unit + "steps ", indent_unit + indent_unit,
                            m.line);
            }
        }
    }

    static std::size_t name_width(const std::vector<ast::field_decl>& fields) {
        std::size_t w = 0;
        for (const auto& f : fields) w = std::max(w, f.name.size());
        return w;
    }

    void print_block(const ast::block_decl& b, std::size_t close_line) {
        line("", "block " + b.name + " {", b.pos.line);
        print_members(members(b.properties, b.fields), 0, name_width(b.fields));
        close(close_line, "", "}");
    }

    void print_product(const ast::product_decl& p, std::size_t close_line) {
        line("", "product " + quote_string(p.name) + " {", p.pos.line);
        print_members(members(p.properties, p.fields, &p.fixed), 0, name_width(p.fields));
        close(close_line, "", "}");
    }

    void print_form(const ast::form_decl& f, std::size_t close_line) {
        line("", "form " + f.name + " {", f.pos.line);
        print_members(members(f.properties, f.fields), 0, name_width(f.fields));
        close(close_line, "", "}");
    }

    void print_workflow(const ast::workflow_decl& w, std::size_t close_line) {
        line("", "workflow " + w.name + " {", w.pos.line);
        std::size_t key_width = 0;
        for (const auto& p : w.properties) key_width = std::max(key_width, p.key.size());
        auto ms = members(w.properties, {}, nullptr, &w);
        // A blank line between the properties and `steps`, as the tutorial writes it.
        for (std::size_t i = 0; i < ms.size(); ++i) {
            if (ms[i].steps && i > 0 && !out_.empty()) {
                flush_comments(ms[i].line, indent_unit);
                if (!out_.back().empty() && !last_opens() &&
                    out_.back().find('#') != indent_unit.size())
                    out_.emplace_back();
            }
            print_members({ms[i]}, key_width, 0);
        }
        close(close_line, "", "}");
    }

    // Whether the element's body may be printed on one line after `prefix_width` columns: no
    // comment inside it, and it fits.
    bool fits_inline(const ast::element& e, std::size_t prefix_width) const {
        return !has_comment_between(e.pos.line, last_line(e)) &&
               prefix_width + render_element(e).size() <= line_limit;
    }

    bool has_comment_between(std::size_t after, std::size_t upto) const {
        for (const auto& c : comments_)
            if (c.line > after && c.line <= upto) return true;
        return false;
    }

    // Whether a named chain may be printed on one line after `prefix_width` columns: it fits and
    // no comment has to move. A comment after the start of the first element and before the
    // start of the last stays between them only with one element per line; one before or after
    // those goes before or after the declaration; an element's body decides as in fits_inline.
    bool chain_fits_inline(const ast::chain& chain, std::size_t prefix_width) const {
        if (prefix_width + render_chain(chain).size() > line_limit) return false;
        for (const auto& e : chain)
            if (!e.body.empty() && has_comment_between(e.pos.line, last_line(e))) return false;
        if (chain.size() < 2) return true;
        const auto& first = chain.front().pos;
        const auto& last = chain.back().pos;
        for (const auto& c : comments_)
            if (std::tie(c.line, c.column) > std::tie(first.line, first.column) &&
                std::tie(c.line, c.column) < std::tie(last.line, last.column))
                return false;
        return true;
    }

    void print_chain_decl(const ast::chain_decl& ch) {
        std::string lead = "chain " + ch.name + " = ";
        if (chain_fits_inline(ch.body, lead.size())) {
            // Comments before the first element go before the declaration.
            line_at("", lead + render_chain(ch.body),
                    std::max(ch.pos.line, ch.body.front().pos.line));
            return;
        }
        print_chain(ch.body, lead, indent_unit, ch.pos.line);
    }

    // One element per line: the first after `lead`, the others on `cont + ">> "` lines.
    void print_chain(const ast::chain& chain, const std::string& lead, const std::string& cont,
                     std::size_t first_anchor) {
        for (std::size_t i = 0; i < chain.size(); ++i) {
            const auto& e = chain[i];
            std::string prefix = i == 0 ? lead : cont + ">> ";
            std::size_t anchor = i == 0 ? std::max(first_anchor, e.pos.line) : e.pos.line;
            // Comments before the first element go where `lead` starts.
            auto comment_indent = i == 0 ? lead.substr(0, lead.find_first_not_of(' ')) : cont;
            print_element(e, prefix, cont, comment_indent, anchor);
        }
    }

    void print_element(const ast::element& e, const std::string& prefix, const std::string& cont,
                       const std::string& comment_indent, std::size_t anchor) {
        const bool has_body = e.k == ast::element::kind::conditional ||
                              e.k == ast::element::kind::group ||
                              e.k == ast::element::kind::step_group;
        if (!has_body || fits_inline(e, prefix.size())) {
            line_at(comment_indent, prefix + render_element(e), anchor);
            return;
        }
        std::string head, closing = "}";
        if (e.k == ast::element::kind::conditional)
            head = "if " + render_condition(*e.cond) + " {";
        else if (e.k == ast::element::kind::step_group)
            head = "group " + quote_string(e.name) + " {";
        else {
            head = "(";
            closing = ")";
        }
        line_at(comment_indent, prefix + head, anchor);
        const std::string inner = cont + indent_unit;
        print_chain(e.body, inner, inner, e.body.front().pos.line);
        flush_comments(last_line(e.body) + 1, inner);
        out_.push_back(cont + closing + render_options(e));
    }
};

// `source` with each carriage return that no line feed follows made a line feed.
std::string bare_cr_as_lf(std::string_view source) {
    std::string out(source);
    for (std::size_t i = 0; i < out.size(); ++i)
        if (out[i] == '\r' && (i + 1 == out.size() || out[i + 1] != '\n')) out[i] = '\n';
    return out;
}

}  // namespace

std::string quote_string(std::string_view text) {
    std::string out = "\"";
    for (unsigned char c : text) {
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20 || c == 0x7f)
                    out += fmt::format("\\u{{{:x}}}", static_cast<unsigned>(c));
                else
                    out += static_cast<char>(c);
        }
    }
    return out + "\"";
}

format_result format_source(const std::string& path, std::string_view source) {
    format_result result;
    auto parsed = parse_source(path, source);
    if (!parsed.ok()) {
        result.diagnostics = std::move(parsed.diagnostics);
        return result;
    }
    // A carriage return that no line feed follows ends a comment but not the line, so code may
    // follow a comment on the same line; the layout, anchored on lines, would move one of them
    // each time round. fmt reads such a carriage return as the line break it looks like: as
    // whitespace it is one either way, so the program stays the same.
    const std::string text = bare_cr_as_lf(source);
    if (text != source) parsed = parse_source(path, text);
    result.text = printer(text, parsed.file).print(parsed.file);
    return result;
}

}  // namespace wfrun
