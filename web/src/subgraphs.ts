// Subgraph instances as litegraph SubgraphNodes, so that a double-click, the
// title button or the node menu opens the definition's inner nodes. The view
// inside is read-only: the editor saves the definitions as they were loaded,
// and the converter reads inner widget values from those.

import { LGraph, LiteGraph, Subgraph, SubgraphNode } from "@comfyorg/litegraph";
import type { ExportedSubgraphInstance } from "@comfyorg/litegraph";

// What a fresh instance is built from before the file's own node data
// configures it.
function stub(id: string): ExportedSubgraphInstance {
  return { id: -1, type: id, pos: [0, 0], size: [200, 60], flags: {}, order: 0, mode: 0, inputs: [], outputs: [] } as never;
}

/** Registers the node type whose instances show subgraph sg. */
export function registerSubgraphType(root: LGraph, sg: Subgraph) {
  class Instance extends SubgraphNode {
    // Keep definition ids out of litegraph's own node search.
    static skip_list = true;

    constructor() {
      super(root, sg, stub(sg.id));
      // The stock button draws a PrimeIcons glyph this page has no font for.
      for (const b of this.title_buttons) if (b.name === "enter_subgraph") b.text = "⤢";
    }

    // No promoted widgets on the instance: they would be editable copies
    // whose values the read-only definitions never receive.
    override _internalConfigureAfterSlots() {
      this.widgets.length = 0;
    }
  }
  // Without a title litegraph would name instances after the (minified) class.
  Instance.title = sg.name || "Subgraph";
  LiteGraph.registerNodeType(sg.id, Instance as never);
}

/** Whether node is a subgraph instance that can be opened. */
export function isSubgraphInstance(node: unknown): node is SubgraphNode {
  return node instanceof SubgraphNode;
}
