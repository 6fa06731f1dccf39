/*
 * Huddle staff web console: Converse.js as a full client. Staff log in with
 * their own account; the desk is joined for them, and the desk's
 * "xmpp:chat-…?join" links open the chat right here.
 *
 * Settings are data- attributes of the <script> tag in index.html; each is
 * optional, and the defaults fit Prosody serving this page on the staff domain
 * with Huddle's default names (true of `huddle dev`):
 *   data-websocket  wss://<this host>/xmpp-websocket
 *   data-domain     the staff domain: "jennie" logs in as jennie@<domain>
 *   data-service    support.<domain>; the desk is desk@<service>
 */
import converse from "../converse/converse.min.js";
import { addNoticesPlugin } from "../chat/huddle-notices.js";
import { addDashboardPlugin } from "./huddle-dashboard.js";

const tag = document.querySelector("script[src$='huddle-console.js']");
const options = tag?.dataset ?? {};
const domain = options.domain || location.hostname;
const service = options.service || `support.${domain}`;
const scheme = location.protocol === "https:" ? "wss" : "ws";

converse.plugins.add("huddle-console", {
    initialize() {
        const { api } = this._converse;

        // Converse's fullscreen pages advertise Converse itself: links, and sponsor
        // logos fetched from other sites. A company's staff console shows neither,
        // and staff browsers fetch nothing from third parties. Replacing the
        // elements works because plugins initialise before Converse registers them.
        for (const name of ["converse-footer", "converse-controlbox-navbar"]) {
            api.elements.define(name, class extends HTMLElement {});
        }

        // Chats left open in an earlier session are not entered again when the
        // console loads: a supervisor entering a chat (hidden, unannounced) must be
        // her choice, never a side effect of logging in. A room restored from the
        // browser's storage is closed where Converse would join it; the desk is
        // joined as ever, and any chat opens again with a click.
        const { MUC } = this._converse.exports;
        let restoring = true;
        api.listen.on("chatBoxesFetched", () => {
            restoring = false;
        });
        class ConsoleMUC extends MUC {
            setup() {
                this.restored = restoring && this.get("jid") !== `desk@${service}`;
                return super.setup();
            }

            async join(...args) {
                if (this.restored) {
                    this.restored = false;
                    // Closed as Converse closes all chats at logout: no "left" event.
                    return this.close({ name: "closeAllChatBoxes" });
                }
                return super.join(...args);
            }
        }
        api.chatboxes.registry.add("chatroom", ConsoleMUC);

        // Converse renders an xmpp: URI as an ordinary link, which a browser would
        // hand to the operating system; staff expect the chat to open right here.
        document.addEventListener(
            "click",
            (event) => {
                const link = event.target.closest?.("a[href^='xmpp:']");
                const uri = link && new URL(link.href);
                if (uri?.search === "?join") {
                    event.preventDefault();
                    event.stopPropagation();
                    api.rooms.open(decodeURIComponent(uri.pathname), {}, true);
                }
            },
            true, // before Converse's own handlers, which would open a new tab
        );
    },
});

addNoticesPlugin(converse);
// The live dashboard ("Floor" in the control box, or console/#floor).
addDashboardPlugin(converse, { service });

converse.initialize({
    authentication: "login",
    websocket_url: options.websocket || `${scheme}://${location.host}/xmpp-websocket`,
    discover_connection_methods: false,
    view_mode: "fullscreen",
    default_domain: domain,
    allow_registration: false,
    auto_join_rooms: [`desk@${service}`],
    muc_nickname_from_jid: true,
    assets_path: new URL("../converse/", import.meta.url).href,
    whitelisted_plugins: ["huddle-console", "huddle-notices", "huddle-dashboard"],
    // Chat rooms are read by the support service itself (it decides who sees
    // what), so end-to-end encryption cannot apply to them.
    blacklisted_plugins: ["converse-omemo", "converse-omemo-views"],
    // Presence on the desk is availability, and routing offers chats by it. With
    // stream management, a closed console would linger on the desk as long as
    // Prosody keeps the session for resumption (10 minutes) and still be offered
    // chats; without it, Converse leaves its rooms as the page unloads. A reload
    // still logs back in by itself (Converse keeps the SCRAM keys of a trusted device).
    enable_smacks: false,
    // Converse would otherwise look rooms up on a public search service.
    muc_search_service: "",
});
