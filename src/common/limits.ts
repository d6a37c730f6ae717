/**
 * The largest HTTP body or socket frame accepted (§5): bigger ones are
 * refused by the transport before any handler sees them.
 */
export const MAX_PAYLOAD_BYTES = 64 * 1024;
