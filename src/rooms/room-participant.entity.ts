import { Entity, Index, PrimaryColumn } from 'typeorm';

@Entity({ name: 'room_participants' })
@Index('room_participants_user_idx', ['userId'])
export class RoomParticipant {
  @PrimaryColumn({ name: 'room_id', type: 'text' })
  roomId: string;

  @PrimaryColumn({ name: 'user_id', type: 'text' })
  userId: string;
}
