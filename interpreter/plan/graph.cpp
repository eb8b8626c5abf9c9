// Drawing a workflow's chain (graph.hpp). The chain is walked once, with the catalog's chain
// walker; nodes are written as they are met, inside the cluster of the step group or named chain
// they belong to, and edges are collected and written after them. Each `if` leaves two open ends:
// the end of its body and its own `no` branch; the next node connects to every open end.
#include "interpreter/plan/graph.hpp"

#include <fmt/format.h>

#include "interpreter/catalog/walk.hpp"

namespace wfrun {

namespace {

class graph_builder : public chain_walker<graph_builder> {
  public:
    enum class shape { step, input, decision };

    graph_builder(const catalog& c, const registry& r, std::string type, graph_format f)
        : chain_walker(c), reg(r), product_type(std::move(type)), format(f) {}

    const registry& reg;
    std::string product_type;
    graph_format format;
    std::string body;  // node and cluster lines
    std::vector<std::string> edges;
    std::vector<std::string> retry_nodes, input_nodes;
    std::vector<std::pair<std::string, std::string>> open;  // (node, edge label)
    std::vector<std::string> decisions;                     // the enclosing `if`s' nodes
    int next_node = 0, next_cluster = 0, depth = 1;

    std::string indent() const { return std::string(static_cast<std::size_t>(depth) * 4, ' '); }

    static std::string dot_escape(const std::string& s) {
        std::string out;
        for (char ch : s) {
            if (ch == '"' || ch == '\\') out += '\\';
            if (ch == '\n') {
                out += "\\n";
                continue;
            }
            out += ch;
        }
        return out;
    }

    static std::string mermaid_escape(const std::string& s) {
        std::string out;
        for (char ch : s) {
            switch (ch) {
                case '"':
                    out += "#quot;";
                    break;
                case '#':
                    out += "#35;";
                    break;
                case '\n':
                    out += ' ';
                    break;
                default:
                    out += ch;
            }
        }
        return out;
    }

    std::string add_node(const std::string& label, shape s, bool retry) {
        auto id = fmt::format("n{}", ++next_node);
        if (format == graph_format::dot) {
            std::string attrs = fmt::format("label=\"{}\"", dot_escape(label));
            if (s == shape::input) attrs += ", shape=parallelogram";
            if (s == shape::decision) attrs += ", shape=diamond";
            if (retry) attrs += ", style=\"rounded,dashed\", peripheries=2";
            body += fmt::format("{}{} [{}];\n", indent(), id, attrs);
        } else {
            auto text = mermaid_escape(label);
            if (s == shape::input)
                body += fmt::format("{}{}[/\"{}\"/]\n", indent(), id, text);
            else if (s == shape::decision)
                body += fmt::format("{}{}{{\"{}\"}}\n", indent(), id, text);
            else
                body += fmt::format("{}{}[\"{}\"]\n", indent(), id, text);
        }
        if (retry) retry_nodes.push_back(id);
        if (s == shape::input) input_nodes.push_back(id);
        for (const auto& [from, label_text] : open) add_edge(from, id, label_text);
        open = {{id, ""}};
        return id;
    }

    void add_edge(const std::string& from, const std::string& to, const std::string& label) {
        if (format == graph_format::dot)
            edges.push_back(label.empty()
                                ? fmt::format("    {} -> {};", from, to)
                                : fmt::format("    {} -> {} [label=\"{}\"];", from, to, label));
        else
            edges.push_back(label.empty() ? fmt::format("    {} --> {}", from, to)
                                          : fmt::format("    {} -->|{}| {}", from, label, to));
    }

    void open_cluster(const std::string& title) {
        auto id = fmt::format("cluster_{}", ++next_cluster);
        if (format == graph_format::dot)
            body += fmt::format("{}subgraph {} {{\n{}    label=\"{}\";\n{}    style=rounded;\n",
                                indent(), id, indent(), dot_escape(title), indent());
        else
            body += fmt::format("{}subgraph {} [\"{}\"]\n", indent(), id, mermaid_escape(title));
        ++depth;
    }

    void close_cluster() {
        --depth;
        body += format == graph_format::dot ? indent() + "}\n" : indent() + "end\n";
    }

    static std::string call_text(const ast::element& e) {
        std::string out = e.name;
        if (!e.has_call) return out;
        out += "(";
        for (std::size_t i = 0; i < e.args.size(); ++i) {
            const auto& a = e.args[i];
            if (i) out += ", ";
            if (!a.key.empty()) out += a.key + ": ";
            out += a.val.source.empty() ? a.val.text : a.val.source;
        }
        return out + ")";
    }

    static bool has_retry(const ast::element& e) {
        for (const auto& o : e.options)
            if (o.name == "retry") return true;
        return false;
    }

    static std::string condition_text(const ast::condition& cond) {
        std::string out = "if " + std::string(cond.negated ? "not " : "") + cond.path;
        if (!cond.op.empty() && cond.operand)
            out += " " + cond.op + " " +
                   (cond.operand->source.empty() ? cond.operand->text : cond.operand->source);
        return out;
    }

    // Whether `e` runs under a retry(...) option: its own, or that of a block or named-chain use
    // around it.
    bool in_retry_scope(const ast::element& e) const {
        if (has_retry(e)) return true;
        for (const auto* outer : enclosing())
            if (has_retry(*outer)) return true;
        return false;
    }

    void on_step(const ast::element& e) {
        const auto* entry = reg.find(e.name, product_type);
        bool retry = in_retry_scope(e) || (entry && entry->manifest.retry);
        auto label = call_text(e);
        if (retry) label += "\n(retry)";
        add_node(label, shape::step, retry);
    }

    void on_input(const ast::element& e) {
        add_node("input(" + e.name + ")", shape::input, in_retry_scope(e));
    }

    bool enter_chain(const ast::element& use, const ast::chain_decl&) {
        open_cluster("chain " + use.name);
        return true;
    }

    void leave_chain(const ast::element&, const ast::chain_decl&) { close_cluster(); }

    void enter_block(const ast::element& e) {
        if (e.k == ast::element::kind::conditional) {
            auto decision = add_node(condition_text(*e.cond), shape::decision, false);
            open = {{decision, "yes"}};
            decisions.push_back(decision);
        } else if (e.k == ast::element::kind::step_group) {
            open_cluster(e.name);
        }
    }

    void leave_block(const ast::element& e) {
        if (e.k == ast::element::kind::conditional) {
            open.emplace_back(decisions.back(), "no");
            decisions.pop_back();
        } else if (e.k == ast::element::kind::step_group) {
            close_cluster();
        }
    }
};

}  // namespace

std::optional<graph_format> parse_graph_format(const std::string& name) {
    if (name == "dot") return graph_format::dot;
    if (name == "mermaid") return graph_format::mermaid;
    return std::nullopt;
}

std::string render_graph(const catalog& c, const registry& reg, const std::string& workflow,
                         graph_format format) {
    const auto* w = c.workflows.at(workflow);
    graph_builder b(c, reg, property_text(w->properties, "product_type"), format);
    b.walk(w->steps);
    std::string out;
    if (format == graph_format::dot) {
        out += fmt::format("digraph \"{}\" {{\n", graph_builder::dot_escape(workflow));
        out += "    rankdir=TB;\n    node [shape=box, style=rounded, fontname=\"Helvetica\"];\n";
        out += "    edge [fontname=\"Helvetica\"];\n";
        out += b.body;
        for (const auto& e : b.edges) out += e + "\n";
        out += "}\n";
    } else {
        out += "flowchart TD\n";
        out += b.body;
        for (const auto& e : b.edges) out += e + "\n";
        out += "    classDef input fill:#eef,stroke:#447\n";
        out += "    classDef retry stroke-dasharray: 5 5\n";
        if (!b.input_nodes.empty())
            out += fmt::format("    class {} input\n", fmt::join(b.input_nodes, ","));
        if (!b.retry_nodes.empty())
            out += fmt::format("    class {} retry\n", fmt::join(b.retry_nodes, ","));
    }
    return out;
}

}  // namespace wfrun
