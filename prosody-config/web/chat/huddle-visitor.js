/*
 * A Converse.js plugin for the Huddle visitor widget: tells the support service
 * who the visitor is, and asks the visitor's question.
 *
 * The details travel as <visitor xmlns='urn:huddle:visitor:0'> inside the MUC
 * join presence, through Converse's `constructedMUCPresence` hook, so the very
 * first desk announcement already shows them to staff. The component keeps them
 * for staff only: it never reflects the element to anyone.
 */

export const NS_VISITOR = "urn:huddle:visitor:0";

/**
 * @param {object} converse   the global `converse` object of converse.min.js
 * @param {object} chat       { room, name, email, page, question, asked }
 * @param {() => void} onAsked  called once the question has been sent, to remember it
 */
export function addVisitorPlugin(converse, chat, onAsked) {
    const { stx } = converse.env;

    converse.plugins.add("huddle-visitor", {
        initialize() {
            const { api } = this._converse;

            // Every join presence, so a rejoin after a dropped connection
            // (a new anonymous session) carries the details again.
            api.listen.on("constructedMUCPresence", (muc, presence) => {
                if (muc.get("jid") === chat.room) {
                    presence.root().cnode(visitorDetails(stx, chat)).up();
                }
                return presence;
            });

            // Fired on every entry into the room; the question is asked once
            // per chat, not again after a page reload.
            api.listen.on("enteredNewRoom", (muc) => {
                if (muc.get("jid") !== chat.room || chat.asked) {
                    return;
                }
                chat.asked = true;
                onAsked();
                muc.sendMessage({ body: chat.question });
            });
        },
    });
}

function visitorDetails(stx, chat) {
    // stx escapes every interpolated value.
    return stx`<visitor xmlns="${NS_VISITOR}">
        <name>${chat.name}</name>
        <email>${chat.email}</email>
        <page>${chat.page}</page>
        <user-agent>${navigator.userAgent}</user-agent>
    </visitor>`;
}
