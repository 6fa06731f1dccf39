"""A chat as the rooms hold it (``roles.chat.Chat``) and as SQLite stores it
(``storage.chats.ChatRow``)."""

from __future__ import annotations

from roles.chat import Chat
from storage.chats import ChatRow


def chat_row(chat: Chat) -> ChatRow:
    return ChatRow(
        chat.id,
        chat.team,
        chat.status,
        chat.created,
        chat.visitor_jid,
        chat.visitor_name,
        chat.visitor_email,
        chat.visitor_page,
        chat.visitor_agent,
        chat.first_message,
        chat.assigned,
        chat.assigned_at,
        chat.answered,
        chat.closed,
        chat.close_reason,
    )


def chat_from_row(row: ChatRow) -> Chat:
    return Chat(
        id=row.id,
        team=row.team,
        created=row.created,
        visitor_jid=row.visitor_jid,
        visitor_name=row.visitor_name,
        visitor_email=row.visitor_email,
        visitor_page=row.visitor_page,
        visitor_agent=row.visitor_agent,
        first_message=row.first_message,
        status=row.status,  # type: ignore[arg-type]
        assigned=row.assigned,
        assigned_at=row.assigned_at,
        answered=row.answered,
        last_activity=row.created,
    )
