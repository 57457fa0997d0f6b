// An ES module handler.
export const handler = async (event) => ({ module: "esm", echo: event });
