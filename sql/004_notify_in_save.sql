-- The client now wakes subscribers itself after a save, and only when
-- ClientOptions::notify asks for it, so a writer without it pays nothing;
-- the trigger cost every insert a call even with notify off.
-- Writers that insert into meowmx.events by other means wake nobody:
-- subscriptions find their events at the next poll.
DROP TRIGGER events_notify ON meowmx.events;
DROP FUNCTION meowmx.notify_events();
