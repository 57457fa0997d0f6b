export const handler = async (event) => ({ hello: event.name ?? "world" });
