/*
 * A Converse.js plugin shared by the widget and the staff console: shows the
 * messages a room sends as itself (from its bare address, with no nick).
 *
 * Huddle's rooms speak that way, as XEP-0045 allows: the visitor's welcome and
 * place in the queue, notices to staff, and every announcement on the desk.
 * Converse 14 creates groupchat messages only for a sender with a nick and drops
 * these, so the plugin turns them into Converse "info" messages, which render as
 * centred notices (links clickable) rather than as someone's chat bubble.
 */

export function addNoticesPlugin(converse) {
    converse.plugins.add("huddle-notices", {
        initialize() {
            const { api } = this._converse;
            // The hook runs for live messages and for archived ones (MAM) alike.
            api.listen.on("parseMUCMessage", (_stanza, attrs) => {
                if (attrs.type === "groupchat" && !attrs.nick && attrs.body && !attrs.subject) {
                    // Converse requires a nick before it creates any MUC message;
                    // the room's own address stands in, and info messages do not show it.
                    // `huddle_notice` tells the widget's plugins these from Converse's own.
                    Object.assign(attrs, { type: "info", message: attrs.body, nick: attrs.from, huddle_notice: true });
                }
                return attrs;
            });
        },
    });
}
